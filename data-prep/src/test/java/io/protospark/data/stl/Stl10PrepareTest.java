package io.protospark.data.stl;

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
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** STL-10 binary folders written byte for byte (column-major channel planes), prepared end to end. */
class Stl10PrepareTest extends LocalSparkTest {
    private static final int SIDE = 96;
    private static final int IMAGE = 3 * SIDE * SIDE;
    private static final List<String> NAMES = List.of("airplane", "bird", "car", "cat", "deer", "dog", "horse",
            "monkey", "ship", "truck");
    private static final int TRAIN = 13;
    private static final int TEST = 6;

    @TempDir
    Path work;

    /** Pixel (channel c, row y, column x) of image n of a split seeded {@code seed}: asymmetric in x and y. */
    static int pixel(int seed, int n, int c, int y, int x) {
        return (seed * 29 + n * 41 + c * 83 + y * 7 + x * 2 + (x * y) % 11) & 0xff;
    }

    /** STL-10's label byte of image n, 1..10. */
    static int label(int seed, int n) {
        return (n * 7 + seed) % 10 + 1;
    }

    /** {@code <split>_X.bin} and {@code <split>_y.bin}: each image's channels in turn, each plane column-major. */
    static void split(Path dir, String split, int seed, int count) throws IOException {
        byte[] x = new byte[count * IMAGE];
        byte[] y = new byte[count];
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < 3; c++) {
                for (int col = 0; col < SIDE; col++) {
                    for (int row = 0; row < SIDE; row++) {
                        x[n * IMAGE + c * SIDE * SIDE + col * SIDE + row] = (byte) pixel(seed, n, c, row, col);
                    }
                }
            }
            y[n] = (byte) label(seed, n);
        }
        Files.createDirectories(dir);
        Files.write(dir.resolve(split + "_X.bin"), x);
        Files.write(dir.resolve(split + "_y.bin"), y);
    }

    static Path stl10(Path dir) throws IOException {
        split(dir, "train", 1, TRAIN);
        split(dir, "test", 2, TEST);
        Files.writeString(dir.resolve("class_names.txt"), String.join("\n", NAMES) + "\n");
        return dir;
    }

    private static PrepareSettings settings(Path in, Path out) {
        return new PrepareSettings("stl10", in.toUri(), out.toUri(), 0.1, false, 10, List.of());
    }

    @Test
    void everyLabelAndPixelInChwOrder() throws IOException {
        Path raw = stl10(work.resolve("stl10_binary"));
        Files.write(raw.resolve("unlabeled_X.bin"), new byte[IMAGE]); // not read
        Path out = work.resolve("out");
        PrepareResult r = PrepareJob.run(settings(raw, out), spark);
        assertEquals(Map.of("train", (long) TRAIN, "test", (long) TEST), r.examples());
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals("stl10", m.format());
        assertEquals(NAMES, m.classNames());
        assertEquals(new Manifest.Image(SIDE, SIDE, 3), m.image());
        assertEquals(List.of("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "class_names.txt"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());
        for (String split : List.of("train", "test")) {
            int seed = split.equals("train") ? 1 : 2;
            int count = split.equals("train") ? TRAIN : TEST;
            List<Row> rows = rows(shards, split);
            assertEquals(count, rows.size());
            boolean[] seen = new boolean[count];
            long[] perClass = new long[10];
            for (Row row : rows) {
                int id = (int) row.getLong(0);
                assertFalse(seen[id]);
                seen[id] = true;
                assertEquals(label(seed, id) - 1, row.getInt(1), split + " label of " + id);
                assertEquals(List.of(SIDE, SIDE, 3), List.of(row.getInt(2), row.getInt(3), row.getInt(4)));
                byte[] expected = new byte[IMAGE];
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < SIDE; y++) {
                        for (int x = 0; x < SIDE; x++) {
                            expected[(c * SIDE + y) * SIDE + x] = (byte) pixel(seed, id, c, y, x);
                        }
                    }
                }
                assertArrayEquals(expected, (byte[]) row.get(5), split + " pixels of " + id);
                perClass[row.getInt(1)]++;
            }
            assertEquals(Arrays.stream(perClass).boxed().toList(), m.splits().get(split).perClass());
        }
        assertTrue(m.splits().get("train").perClass().get(9) > 0, "label byte 10 became 9");
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
        Path raw = stl10(work.resolve("stl10_binary"));
        Path testX = raw.resolve("test_X.bin");
        Path testY = raw.resolve("test_y.bin");
        try (RandomAccessFile f = new RandomAccessFile(testX.toFile(), "rw")) {
            f.setLength(f.length() - 5);
        }
        String msg = refused(raw);
        assertTrue(msg.contains(testX.toString()) && msg.contains("size " + (TEST * IMAGE - 5))
                && msg.contains("27648-byte"), msg);

        split(raw, "test", 2, TEST);
        Files.write(testY, new byte[TEST + 1]);
        msg = refused(raw);
        assertTrue(msg.contains(testY.toString()) && msg.contains("holds " + (TEST + 1) + " labels")
                && msg.contains(TEST + " images"), msg);

        byte[] y = new byte[TEST];
        Arrays.fill(y, (byte) 3);
        y[4] = 11;
        Files.write(testY, y);
        msg = refused(raw);
        assertTrue(msg.contains(testY.toString()) && msg.contains("label 4") && msg.contains("is 11"), msg);
        y[4] = 0;
        Files.write(testY, y);
        msg = refused(raw);
        assertTrue(msg.contains(testY.toString()) && msg.contains("is 0, outside 1..10"), msg);

        split(raw, "test", 2, TEST);
        Files.writeString(raw.resolve("class_names.txt"), "a\nb\n");
        msg = refused(raw);
        assertTrue(msg.contains("class_names.txt") && msg.contains("2 class names"), msg);

        Files.delete(raw.resolve("train_y.bin"));
        msg = refused(raw);
        assertTrue(msg.contains("[train_y.bin]"), msg);
    }
}
