package io.protospark.data.npy;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Format {@code npy} end to end: {@code .npy} files written byte for byte as {@code np.save} writes them (magic,
 * version, little-endian header length, the dict padded with spaces to a multiple of 64 bytes and ended by a
 * newline, then the raw array), prepared with one local Spark session, and the shards read back.
 */
class NpyPrepareTest extends LocalSparkTest {
    @TempDir
    Path work;

    // ---- writing .npy files per the NumPy format specification ----

    /** The header of format {@code major}.0 for a dict literal, padded so the data start at a multiple of 64. */
    static byte[] header(int major, String descr, boolean fortran, long... shape) {
        StringBuilder dims = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            dims.append(i > 0 ? ", " : "").append(shape[i]);
        }
        dims.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + dims + ", }";
        int prefix = major == 1 ? 10 : 12;
        int unpadded = prefix + dict.length() + 1; // + the newline
        int pad = (64 - unpadded % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(prefix + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        b.put(text);
        assertEquals(0, b.position() % 64, "npy header must end on a 64-byte boundary");
        assertEquals('\n', text[text.length - 1]);
        return b.array();
    }

    static Path write(Path file, byte[] header, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        out.write(data);
        Files.createDirectories(file.getParent());
        Files.write(file, out.toByteArray());
        return file;
    }

    /** Pixel (n, y, x, c) of the test images: distinct enough that any transposition shows. */
    static byte pixel(int n, int y, int x, int c) {
        return (byte) (n * 31 + y * 17 + x * 5 + c * 101 + (n * y * x) % 7);
    }

    /** N x H x W x C uint8 in C order: index ((n * H + y) * W + x) * C + c. */
    static byte[] hwcArray(int n, int h, int w, int c) {
        byte[] b = new byte[n * h * w * c];
        int i = 0;
        for (int k = 0; k < n; k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        b[i++] = pixel(k, y, x, ch);
                    }
                }
            }
        }
        return b;
    }

    /** What the shard must hold for image n: CHW, byte (c * H + y) * W + x. */
    static byte[] expectedChw(int n, int h, int w, int c) {
        byte[] b = new byte[h * w * c];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    b[(ch * h + y) * w + x] = pixel(n, y, x, ch);
                }
            }
        }
        return b;
    }

    static byte[] int64(ByteOrder order, long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(order);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static PrepareSettings settings(Path in, Path out, Path labels, double shardMb, double validation) {
        return new PrepareSettings("npy", in.toUri(), out.toUri(), shardMb, false, 10, List.of(), 0, 0, "first",
                1.0, validation, "", 0, "shorter-side-crop", "fail", null, null, null,
                labels == null ? null : labels.toUri());
    }

    // ---- preparing ----

    @Test
    void rgbImagesWithInt64LabelsBecomeChwRows() throws IOException {
        int n = 7;
        int h = 4;
        int w = 6; // not square: a swapped H and W shows
        long[] labels = {2, 0, 1, 2, 2, 0, 1};
        Path images = write(work.resolve("in dir/images.npy"), header(1, "|u1", false, n, h, w, 3),
                hwcArray(n, h, w, 3));
        Path lab = write(work.resolve("in dir/labels.npy"), header(1, "<i8", false, n),
                int64(ByteOrder.LITTLE_ENDIAN, labels));
        Path out = work.resolve("out");
        PrepareResult r = PrepareJob.run(settings(images, out, lab, 64, 0), spark);
        assertEquals(java.util.Map.of("train", 7L), r.examples());

        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals("npy", m.format());
        assertEquals(3, m.classes());
        assertEquals(List.of("0", "1", "2"), m.classNames());
        assertEquals(new Manifest.Image(h, w, 3), m.image());
        assertEquals(List.of("train"), List.copyOf(m.splits().keySet()));
        assertEquals(List.of(2L, 2L, 3L), m.splits().get("train").perClass());
        assertEquals(List.of("images.npy", "labels.npy"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());
        assertNull(m.transforms());

        List<Row> rows = rows(shards, "train");
        assertEquals(n, rows.size());
        for (int k = 0; k < n; k++) {
            Row row = rows.get(k);
            assertEquals(k, row.getLong(0));
            assertEquals(labels[k], row.getInt(1));
            assertEquals(h, row.getInt(2));
            assertEquals(w, row.getInt(3));
            assertEquals(3, row.getInt(4));
            assertArrayEquals(expectedChw(k, h, w, 3), (byte[]) row.get(5), "pixels of image " + k);
        }
    }

    @Test
    void greyscaleWithoutLabelsIsOneClassVersion2Header() throws IOException {
        int n = 5;
        Path images = write(work.resolve("grey.npy"), header(2, "|u1", false, n, 3, 5), hwcArray(n, 3, 5, 1));
        Path out = work.resolve("out");
        PrepareJob.run(settings(images, out, null, 64, 0), spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals(1, m.classes());
        assertEquals(List.of("0"), m.classNames());
        assertEquals(new Manifest.Image(3, 5, 1), m.image());
        assertEquals(List.of(5L), m.splits().get("train").perClass());
        assertEquals(List.of("grey.npy"), m.source().files().stream().map(Manifest.SourceFile::path).toList());
        List<Row> rows = rows(shards, "train");
        for (int k = 0; k < n; k++) {
            assertEquals(0, rows.get(k).getInt(1));
            assertEquals(1, rows.get(k).getInt(4));
            assertArrayEquals(expectedChw(k, 3, 5, 1), (byte[]) rows.get(k).get(5));
        }
    }

    /**
     * Many images over several shards, a validation split (so tasks skip images and must seek), a version 3.0
     * header, explicit single-channel axis and big-endian int32 labels.
     */
    @Test
    void manyShardsAndValidationSplitReadEveryImageExactly() throws IOException {
        int n = 600;
        int side = 8;
        Path images = write(work.resolve("many.npy"), header(3, "|u1", false, n, side, side, 3),
                hwcArray(n, side, side, 3));
        int[] labels = new int[n];
        ByteBuffer lb = ByteBuffer.allocate(4 * n).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < n; i++) {
            labels[i] = (i * 7) % 4;
            lb.putInt(labels[i]);
        }
        Path lab = write(work.resolve("many-labels.npy"), header(1, ">i4", false, n), lb.array());
        Path out = work.resolve("out");
        // 600 x (192 + 28) bytes = 132 000 bytes: 5 train shards of at most 24 KiB
        PrepareResult r = PrepareJob.run(settings(images, out, lab, 24.0 / 1024, 0.25), spark);
        // stratified: about a quarter of each class's 150 images
        assertEquals(600L, r.examples().get("train") + r.examples().get("validation"));
        assertTrue(r.examples().get("validation") >= 148 && r.examples().get("validation") <= 152, "" + r);
        ShardSet shards = shards(out);
        assertTrue(shards.files("train").size() >= 4, "shards: " + shards.files("train"));
        boolean[] seen = new boolean[n];
        for (String split : List.of("train", "validation")) {
            for (Row row : rows(shards, split)) {
                int id = (int) row.getLong(0);
                assertFalse(seen[id], "image " + id + " twice");
                seen[id] = true;
                assertEquals(labels[id], row.getInt(1));
                assertArrayEquals(expectedChw(id, side, side, 3), (byte[]) row.get(5), "pixels of image " + id);
            }
        }
        for (int i = 0; i < n; i++) {
            assertTrue(seen[i], "image " + i + " missing");
        }
    }

    @Test
    void smallLabelTypesAndPython2LongShapes() throws IOException {
        int n = 4;
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (4L, 2L, 2L, 1L), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer hb = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        hb.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) text.length).put(text);
        Path images = write(work.resolve("py2.npy"), hb.array(), hwcArray(n, 2, 2, 1));
        for (String descr : List.of("|i1", "|u1", "<i2", "<u2", ">i8")) {
            ByteBuffer b = ByteBuffer.allocate(n * 8).order(descr.startsWith(">") ? ByteOrder.BIG_ENDIAN
                    : ByteOrder.LITTLE_ENDIAN);
            int size = Integer.parseInt(descr.substring(2));
            for (int v : new int[]{1, 0, 3, 1}) {
                switch (size) {
                    case 1 -> b.put((byte) v);
                    case 2 -> b.putShort((short) v);
                    default -> b.putLong(v);
                }
            }
            Path lab = write(work.resolve("l" + descr.substring(1) + ".npy"), header(1, descr, false, n),
                    Arrays.copyOf(b.array(), n * size));
            int[] read = NpySource.read(images.toUri(), lab.toUri(), new org.apache.hadoop.conf.Configuration())
                    .labels();
            assertArrayEquals(new int[]{1, 0, 3, 1}, read, descr);
        }
    }

    @Test
    void hwcToChw() {
        // 1 x 2 pixels, 3 channels: r0 g0 b0 r1 g1 b1 -> r0 r1 g0 g1 b0 b1
        assertArrayEquals(new byte[]{1, 4, 2, 5, 3, 6}, NpyRows.toChw(new byte[]{1, 2, 3, 4, 5, 6}, 1, 2, 3));
    }

    // ---- settings ----

    @Test
    void labelsKeyIsReadAndOnlyForNpy() {
        PrepareSettings s = PrepareSettings.from(Configs.load(null, null, List.of("prepare.format=npy",
                "prepare.input=/data/300K_random_images.npy", "prepare.output=/prepared/300k",
                "prepare.labels=/data/labels.npy")));
        assertEquals("npy", s.format());
        assertEquals(URI.create("/data/labels.npy"), s.labels());
        assertNull(PrepareSettings.from(Configs.load(null, null, List.of("prepare.format=npy",
                "prepare.input=/in.npy", "prepare.output=/out"))).labels());

        SettingsException e = assertThrows(SettingsException.class, () -> PrepareSettings.from(Configs.load(null,
                null, List.of("prepare.format=cifar10", "prepare.input=/in", "prepare.output=/out",
                        "prepare.labels=/l.npy"))));
        assertEquals(PrepareSettings.LABELS, e.key());
        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(Configs.load(null, null,
                List.of("prepare.format=npy", "prepare.input=/in.npy", "prepare.output=/out",
                        "prepare.image-size=32"))));
        assertEquals(PrepareSettings.IMAGE_SIZE, e.key());
    }

    // ---- errors ----

    private String failure(Path images, Path labels) {
        Path out = work.resolve("failed");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(images, out, labels, 64, 0), spark)).getMessage();
        assertFalse(Files.exists(out), "a failed prepare must not publish " + out);
        return msg;
    }

    private static void assertMentions(String msg, String... parts) {
        for (String p : parts) {
            assertTrue(msg.contains(p), "expected '" + p + "' in: " + msg);
        }
    }

    @Test
    void wrongMagicIsNamed() throws IOException {
        byte[] h = header(1, "|u1", false, 2, 2, 2, 3);
        h[1] = 'X';
        Path f = write(work.resolve("bad-magic.npy"), h, new byte[24]);
        assertMentions(failure(f, null), "bad-magic.npy", "not a .npy file", "magic");
        Path tiny = write(work.resolve("tiny.npy"), new byte[]{(byte) 0x93, 'N'}, new byte[0]);
        assertMentions(failure(tiny, null), "tiny.npy", "magic");
    }

    @Test
    void unsupportedVersionIsNamed() throws IOException {
        byte[] h = header(1, "|u1", false, 2, 2, 2, 3);
        h[6] = 4;
        Path f = write(work.resolve("v4.npy"), h, new byte[24]);
        assertMentions(failure(f, null), "v4.npy", "version 4.0", "1.0, 2.0 or 3.0");
    }

    @Test
    void nonUint8DtypeIsNamed() throws IOException {
        Path f = write(work.resolve("float.npy"), header(1, "<f4", false, 2, 2, 2, 3), new byte[96]);
        assertMentions(failure(f, null), "float.npy", "'<f4'", "uint8");
        Path s = write(work.resolve("int8.npy"), header(1, "|i1", false, 2, 2, 2, 3), new byte[24]);
        assertMentions(failure(s, null), "int8.npy", "'|i1'", "uint8");
    }

    @Test
    void wrongRankIsNamed() throws IOException {
        Path f = write(work.resolve("flat.npy"), header(1, "|u1", false, 2, 3072), new byte[6144]);
        assertMentions(failure(f, null), "flat.npy", "(2, 3072)", "rank 2", "(N, H, W, C)");
        Path g = write(work.resolve("five.npy"), header(1, "|u1", false, 1, 2, 2, 2, 3), new byte[24]);
        assertMentions(failure(g, null), "five.npy", "rank 5");
    }

    @Test
    void channelsOtherThanOneOrThreeAreNamed() throws IOException {
        Path f = write(work.resolve("rgba.npy"), header(1, "|u1", false, 2, 2, 2, 4), new byte[32]);
        assertMentions(failure(f, null), "rgba.npy", "(2, 2, 2, 4)", "4 channels", "C = 1 or 3");
        Path chw = write(work.resolve("chw.npy"), header(1, "|u1", false, 2, 3, 4, 4), new byte[96]);
        assertMentions(failure(chw, null), "chw.npy", "transpose(0, 2, 3, 1)");
    }

    @Test
    void truncatedAndOverlongDataAreNamed() throws IOException {
        Path f = write(work.resolve("short.npy"), header(1, "|u1", false, 3, 2, 2, 3), new byte[30]);
        assertMentions(failure(f, null), "short.npy", "truncated", "needs 36 data bytes", "has 30",
                "2 complete images of 3");
        Path g = write(work.resolve("long.npy"), header(1, "|u1", false, 3, 2, 2, 3), new byte[40]);
        assertMentions(failure(g, null), "long.npy", "4 bytes follow the 36 data bytes");
        byte[] h = header(1, "|u1", false, 3, 2, 2, 3);
        Path head = write(work.resolve("head.npy"), Arrays.copyOf(h, 40), new byte[0]);
        assertMentions(failure(head, null), "head.npy", "ends inside its");
        Path huge = write(work.resolve("huge.npy"), header(1, "|u1", false, 1L << 40, 32, 32, 3), new byte[0]);
        assertMentions(failure(huge, null), "huge.npy", "too large");
    }

    @Test
    void fortranOrderIsRefusedWithTheFix() throws IOException {
        Path f = write(work.resolve("fortran.npy"), header(1, "|u1", true, 2, 2, 2, 3), new byte[24]);
        assertMentions(failure(f, null), "fortran.npy", "Fortran order", "np.ascontiguousarray");
    }

    @Test
    void labelProblemsAreNamed() throws IOException {
        Path images = write(work.resolve("img.npy"), header(1, "|u1", false, 3, 2, 2, 3), hwcArray(3, 2, 2, 3));

        Path shortLabels = write(work.resolve("two.npy"), header(1, "<i8", false, 2),
                int64(ByteOrder.LITTLE_ENDIAN, 0, 1));
        assertMentions(failure(images, shortLabels), "two.npy", "holds 2 labels", "3 images");

        Path negative = write(work.resolve("neg.npy"), header(1, "<i8", false, 3),
                int64(ByteOrder.LITTLE_ENDIAN, 0, -1, 1));
        assertMentions(failure(images, negative), "neg.npy", "label 1 is negative (-1)");

        Path floats = write(work.resolve("flabels.npy"), header(1, "<f8", false, 3), new byte[24]);
        assertMentions(failure(images, floats), "flabels.npy", "'<f8'", "not an integer type");

        Path matrix = write(work.resolve("mlabels.npy"), header(1, "<i8", false, 3, 1), new byte[24]);
        assertMentions(failure(images, matrix), "mlabels.npy", "(3, 1)", "rank 2");

        Path truncated = write(work.resolve("tlabels.npy"), header(1, "<i8", false, 3), new byte[20]);
        assertMentions(failure(images, truncated), "tlabels.npy", "needs 24 data bytes", "has 20", "truncated");

        Path huge = write(work.resolve("hlabels.npy"), header(1, "<i8", false, 3),
                int64(ByteOrder.LITTLE_ENDIAN, 0, 1L << 40, 1));
        assertMentions(failure(images, huge), "hlabels.npy", "label 1 is " + (1L << 40), "largest label");

        assertMentions(failure(images, work.resolve("absent.npy")), "not found", "absent.npy");
        assertMentions(failure(work.resolve("absent-images.npy"), null), "not found", "absent-images.npy");
        assertMentions(failure(work, null), "is a directory");
    }
}
