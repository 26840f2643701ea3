package io.protospark.data.verify;

import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.image.ImageDecoder;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** InsightFace .bin pickles written opcode by opcode and LFW pairs.txt trees, prepared as pair shards. */
class VerificationPrepareTest extends LocalSparkTest {
    private static final int SIZE = 8;
    @TempDir
    Path work;

    static byte[] png(int s) throws IOException {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                img.setRGB(x, y, (s * 50 + x * 20) << 16 | (y * 30) << 8 | (s * 9 + x + y));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static byte[] decoded(byte[] encoded) throws IOException {
        return new ImageDecoder(SIZE, ImageDecoder.Resize.SHORTER_SIDE_CROP).decode(encoded);
    }

    /**
     * The pickle Python writes for {@code (bins, issame_list)}: protocol 3 with {@code bytes} items (BINBYTES), or
     * protocol 2 with Python 2 {@code str} items (BINSTRING), as the old InsightFace files hold.
     */
    static byte[] pickle(List<byte[]> bins, List<Boolean> issame, boolean py2) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(py2 ? 2 : 3);
        out.write(']');
        out.write('(');
        for (byte[] b : bins) {
            out.write(py2 ? 'T' : 'B');
            byte[] len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array();
            out.write(len, 0, 4);
            out.write(b, 0, b.length);
        }
        out.write('e');
        out.write(']');
        out.write('(');
        for (boolean s : issame) {
            out.write(s ? 0x88 : 0x89);
        }
        out.write('e');
        out.write(0x86); // TUPLE2
        out.write('.');
        return out.toByteArray();
    }

    private static PrepareSettings settings(String format, Path in, Path out) {
        return new PrepareSettings(format, in.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0, "first", 1.0,
                0.0, "", SIZE, "shorter-side-crop", "fail", null, null);
    }

    @Test
    void kFoldSizesMatchScikitLearn() {
        int[] f = VerificationSets.kFolds(23);
        // 23 = 3 + 3 + 3 + 2 x 7
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9}, f);
        int[] lfw = VerificationSets.kFolds(6000);
        assertEquals(0, lfw[599]);
        assertEquals(1, lfw[600]);
        assertEquals(9, lfw[5999]);
    }

    @Test
    void insightFaceBinsPy3AndPy2() throws IOException {
        Path dir = work.resolve("bins");
        Files.createDirectories(dir);
        List<byte[]> images = List.of(png(0), png(1), png(2), png(3), png(4), png(5));
        Files.write(dir.resolve("lfw.bin"), pickle(images, List.of(true, false, true), false));
        Files.write(dir.resolve("agedb_30.bin"), pickle(images.subList(0, 4), List.of(false, true), true));
        // Python 2 str is one char per byte: check the reader's ISO-8859-1 recovery on its own too
        VerificationSets.Bin py2 = VerificationSets.readBin(new ByteArrayInputStream(
                pickle(images.subList(0, 2), List.of(true), true)), "py2");
        assertArrayEquals(images.get(1), py2.images()[1]);

        Path out = work.resolve("out");
        PrepareJob.run(settings("verification-bin", dir, out), spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals(Manifest.PAIRS, m.schema());
        assertEquals(List.of("different", "same"), m.classNames());
        assertEquals(List.of("agedb_30", "lfw"), List.copyOf(m.splits().keySet()));
        assertEquals(List.of(1L, 2L), m.splits().get("lfw").perClass());
        assertEquals(ShardSchema.PAIR_SCHEMA.simpleString(),
                spark.read().parquet(shards.parquetPaths("lfw")).schema().asNullable().simpleString());
        List<Row> lfw = rows(shards, "lfw");
        assertEquals(List.of(1, 0, 1), lfw.stream().map(r -> r.getInt(1)).toList());
        assertEquals(List.of(0, 1, 2), lfw.stream().map(r -> r.getInt(2)).toList());
        for (Row r : lfw) {
            int i = (int) r.getLong(0);
            assertArrayEquals(decoded(images.get(2 * i)), (byte[]) r.get(6));
            assertArrayEquals(decoded(images.get(2 * i + 1)), (byte[]) r.get(7));
        }
        assertEquals(List.of(0, 1), rows(shards, "agedb_30").stream().map(r -> r.getInt(1)).toList());

        Files.write(dir.resolve("cfp_fp.bin"), pickle(images.subList(0, 3), List.of(true), false));
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("verification-bin", dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("cfp_fp.bin") && msg.contains("3 images for 1 pairs"), msg);
    }

    @Test
    void numpyArraysAndBoolsFromProtocols2And5() throws IOException {
        // written by verification/make_numpy_bins.py: 4 uint8 arrays (PNG bytes), flags numpy.bool_ True, False
        List<byte[]> expected = new java.util.ArrayList<>();
        try (java.io.DataInputStream in = new java.io.DataInputStream(
                getClass().getResourceAsStream("/verification/expected-images.bin"))) {
            for (int i = 0; i < 4; i++) {
                expected.add(in.readNBytes(in.readInt()));
            }
        }
        for (String name : List.of("numpy-p2.bin", "numpy-p5.bin")) {
            VerificationSets.Bin bin;
            try (java.io.InputStream in = getClass().getResourceAsStream("/verification/" + name)) {
                bin = VerificationSets.readBin(in, name);
            }
            assertArrayEquals(new boolean[]{true, false}, bin.issame(), name);
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(expected.get(i), bin.images()[i], name + " image " + i);
                assertEquals(3 * 16, new ImageDecoder(4, ImageDecoder.Resize.EXACT).decode(bin.images()[i]).length);
            }
        }
    }

    @Test
    void lfwPairsTxt() throws IOException {
        Path dir = work.resolve("lfw root");
        String[][] people = {{"Ann_A", "3"}, {"Bob_B", "2"}};
        int seed = 0;
        for (String[] p : people) {
            for (int i = 1; i <= Integer.parseInt(p[1]); i++) {
                Path f = dir.resolve("lfw").resolve(p[0]).resolve(p[0] + String.format("_%04d.jpg", i));
                Files.createDirectories(f.getParent());
                Files.write(f, png(seed++));
            }
        }
        // 2 folds x (1 matched + 1 mismatched)
        Files.writeString(dir.resolve("pairs.txt"), "2\t1\nAnn_A\t1\t2\nAnn_A\t3\tBob_B\t1\nBob_B\t1\t2\n"
                + "Bob_B\t2\tAnn_A\t1\n", StandardCharsets.UTF_8);
        Path out = work.resolve("out");
        PrepareJob.run(settings("lfw-pairs", dir, out), spark);
        ShardSet shards = shards(out);
        List<Row> rows = rows(shards, "lfw");
        assertEquals(List.of(1, 0, 1, 0), rows.stream().map(r -> r.getInt(1)).toList());
        assertEquals(List.of(0, 0, 1, 1), rows.stream().map(r -> r.getInt(2)).toList());
        // pair 1: Ann_A_0003 (seed 2) vs Bob_B_0001 (seed 3)
        assertArrayEquals(decoded(png(2)), (byte[]) rows.get(1).get(6));
        assertArrayEquals(decoded(png(3)), (byte[]) rows.get(1).get(7));
        assertEquals(List.of("pairs.txt"), shards.manifest().source().files().stream()
                .map(Manifest.SourceFile::path).toList());

        Files.writeString(dir.resolve("pairs.txt"), "1\t1\nAnn_A\t1\t9\nAnn_A\t3\tBob_B\t1\n");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("lfw-pairs", dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("Ann_A_0009.jpg") && msg.contains("does not exist"), msg);

        SettingsException e = assertThrows(SettingsException.class, () -> new PrepareSettings("lfw-pairs",
                dir.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0, "first", 0.5, 0.0, "", 0,
                "shorter-side-crop", "fail", null, null));
        assertTrue(e.getMessage().contains("verification pairs"), e.getMessage());
    }
}
