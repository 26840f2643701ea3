package io.protospark.data.svhn;

import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareResult;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSet;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.protospark.data.svhn.SvhnTestFiles.Labels;
import static io.protospark.data.svhn.SvhnTestFiles.chw;
import static io.protospark.data.svhn.SvhnTestFiles.labels;
import static io.protospark.data.svhn.SvhnTestFiles.mat;
import static io.protospark.data.svhn.SvhnTestFiles.matrix;
import static io.protospark.data.svhn.SvhnTestFiles.svhnFile;
import static io.protospark.data.svhn.SvhnTestFiles.svhnLabel;
import static io.protospark.data.svhn.SvhnTestFiles.xMatrix;
import static io.protospark.data.svhn.SvhnTestFiles.yMatrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SVHN cropped-digit MAT-files written byte for byte (compressed or not), prepared end to end, every row checked. */
class SvhnPrepareTest extends LocalSparkTest {
    private static final int TRAIN = 23;
    private static final int TEST = 11;
    private static final int EXTRA = 7;

    @TempDir
    Path work;

    private static PrepareSettings settings(Path in, Path out) {
        return new PrepareSettings("svhn", in.toUri(), out.toUri(), 0.05, false, 10, List.of());
    }

    private static final Map<String, Integer> SEEDS = Map.of("train", 1, "test", 2, "extra", 3);

    private static void checkSplit(Path out, String split, int count) {
        ShardSet shards = shards(out);
        List<Row> rows = rows(shards, split);
        assertEquals(count, rows.size(), split);
        boolean[] seen = new boolean[count];
        long[] perClass = new long[10];
        for (Row row : rows) {
            int id = (int) row.getLong(0);
            assertFalse(seen[id]);
            seen[id] = true;
            int seed = SEEDS.get(split);
            assertEquals(svhnLabel(seed, id) % 10, row.getInt(1), split + " label of " + id);
            assertEquals(List.of(32, 32, 3), List.of(row.getInt(2), row.getInt(3), row.getInt(4)));
            assertArrayEquals(chw(seed, id), (byte[]) row.get(5), split + " pixels of " + id);
            perClass[row.getInt(1)]++;
        }
        assertTrue(perClass[0] > 0, "label 10 became digit 0");
        assertEquals(Arrays.stream(perClass).boxed().toList(), shards.manifest().splits().get(split).perClass());
    }

    @Test
    void uncompressedUint8FilesEveryPixelAndLabel() throws IOException {
        Path raw = work.resolve("svhn");
        svhnFile(raw.resolve("train_32x32.mat"), 1, TRAIN, false, Labels.UINT8);
        svhnFile(raw.resolve("test_32x32.mat"), 2, TEST, false, Labels.UINT8);
        Path out = work.resolve("out");
        PrepareResult r = PrepareJob.run(settings(raw, out), spark);
        assertEquals(Map.of("train", (long) TRAIN, "test", (long) TEST), r.examples());
        Manifest m = shards(out).manifest();
        assertEquals("svhn", m.format());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), m.classNames());
        assertEquals(new Manifest.Image(32, 32, 3), m.image());
        assertEquals(List.of("train_32x32.mat", "test_32x32.mat"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());
        checkSplit(out, "train", TRAIN);
        checkSplit(out, "test", TEST);
    }

    @Test
    void compressedElementsDoubleLabelsAndExtraSplit() throws IOException {
        Path raw = work.resolve("svhn");
        svhnFile(raw.resolve("train_32x32.mat"), 1, TRAIN, true, Labels.DOUBLE);
        // y before X, and MATLAB's compact storage of a double array as miUINT8
        mat(raw.resolve("test_32x32.mat"), true, yMatrix(labels(2, TEST), Labels.DOUBLE_AS_UINT8),
                xMatrix(2, TEST));
        svhnFile(raw.resolve("extra_32x32.mat"), 3, EXTRA, true, Labels.UINT8);
        Path out = work.resolve("out");
        PrepareResult r = PrepareJob.run(settings(raw, out), spark);
        assertEquals(List.of("train", "test", "extra"), List.copyOf(r.examples().keySet()));
        checkSplit(out, "train", TRAIN);
        checkSplit(out, "test", TEST);
        checkSplit(out, "extra", EXTRA);
    }

    @Test
    void readsWhatScipyWrites() throws Exception {
        // src/test/resources/svhn/make_scipy_mats.py: X seeded 5, y = [10, 1, 2, 3] (uint8, then double)
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(
                new org.apache.hadoop.conf.Configuration());
        for (String name : List.of("scipy-compressed.mat", "scipy-uncompressed.mat")) {
            Path file = Path.of(getClass().getResource("/svhn/" + name).toURI());
            io.protospark.data.source.ImageArrays a = SvhnReader.readFile(fs,
                    new org.apache.hadoop.fs.Path(file.toUri()));
            assertEquals(4, a.count(), name);
            assertArrayEquals(new int[]{0, 1, 2, 3}, a.labels(), name);
            for (int n = 0; n < 4; n++) {
                assertArrayEquals(chw(5, n), a.image(n), name + " image " + n);
            }
        }
    }

    private String refused(Path raw) {
        Path out = work.resolve("refused");
        String msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(settings(raw, out), spark))
                .getMessage();
        assertFalse(Files.exists(out));
        return msg;
    }

    @Test
    void malformedFilesAreRefusedNamingTheFile() throws IOException {
        Path raw = work.resolve("svhn");
        svhnFile(raw.resolve("train_32x32.mat"), 1, 4, false, Labels.UINT8);
        Path test = raw.resolve("test_32x32.mat");

        String msg = refused(raw);
        assertTrue(msg.contains("lacks [test_32x32.mat]"), msg);

        Files.write(test, new byte[200]);
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("not a Level 5 MAT-file"), msg);

        byte[] v73 = new byte[512];
        System.arraycopy("MATLAB 7.3 MAT-file".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, v73, 0, 19);
        Files.write(test, v73);
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("MATLAB 7.3 (HDF5)"), msg);

        mat(test, false, SvhnTestFiles.matrix("x", SvhnTestFiles.MX_UINT8, new int[]{1, 1}, SvhnTestFiles.MI_UINT8,
                new byte[1]));
        Files.write(test, Arrays.copyOf(Files.readAllBytes(test), 127));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("127 bytes, shorter than a MAT-file header"), msg);

        mat(test, false, xMatrix(2, 3));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("lacks variable 'y'"), msg);

        mat(test, true, matrix("X", SvhnTestFiles.MX_UINT8, new int[]{32, 32, 1, 3}, SvhnTestFiles.MI_UINT8,
                new byte[32 * 32 * 3]), yMatrix(labels(2, 3), Labels.UINT8));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("'X' has dimensions [32, 32, 1, 3]"), msg);

        mat(test, false, matrix("X", SvhnTestFiles.MX_CELL, new int[]{1, 1}, 0, null),
                yMatrix(labels(2, 3), Labels.UINT8));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("'X' is a cell array"), msg);

        mat(test, false, xMatrix(2, 3), yMatrix(new int[]{1, 11, 2}, Labels.DOUBLE));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("y(2)") && msg.contains("11.0"), msg);

        mat(test, false, xMatrix(2, 3), yMatrix(new int[]{0, 1, 2}, Labels.UINT8));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("y(1)") && msg.contains("outside the labels 1..10"),
                msg);

        mat(test, true, xMatrix(2, 3), yMatrix(labels(2, 4), Labels.UINT8));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("X holds 3 images but y holds 4 labels"), msg);

        // a real part shorter than the dimensions say
        mat(test, false, matrix("X", SvhnTestFiles.MX_UINT8, new int[]{32, 32, 3, 3}, SvhnTestFiles.MI_UINT8,
                new byte[3072 * 2]), yMatrix(labels(2, 3), Labels.UINT8));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("expected 9216 values"), msg);

        // truncated inside the compressed X
        svhnFile(test, 2, 3, true, Labels.UINT8);
        byte[] whole = Files.readAllBytes(test);
        Files.write(test, Arrays.copyOf(whole, 128 + 400));
        msg = refused(raw);
        assertTrue(msg.contains(test.toString()) && msg.contains("truncated"), msg);
    }
}
