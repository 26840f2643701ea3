package io.protospark.data.recordio;

import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSet;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** InsightFace RecordIO written byte for byte (dmlc-core's writer, split records included) and read back. */
class RecordIOTest extends LocalSparkTest {
    private static final int SIZE = 8;
    private static final byte[] MAGIC_LE = {0x0A, 0x23, (byte) 0xD7, (byte) 0xCE};
    /** Identity 0: image keys 1, 2; identity 1: keys 3, 4, 5. */
    private static final int[] IDENTITY = {0, 0, 1, 1, 1};

    @TempDir
    Path work;

    /** MXNet's pack: IRHeader 'IfQQ' then the float32 label array then the image bytes. */
    static byte[] pack(float label, long id, long id2, float[] labels, byte[] image) {
        ByteBuffer b = ByteBuffer.allocate(24 + 4 * labels.length + image.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(labels.length).putFloat(label).putLong(id).putLong(id2);
        for (float l : labels) {
            b.putFloat(l);
        }
        b.put(image);
        return b.array();
    }

    /** dmlc-core RecordIOWriter::WriteRecord: split at every aligned magic word, pad the end to 4 bytes. */
    static void writeRecord(ByteArrayOutputStream out, byte[] buf) {
        int len = buf.length;
        int lowerAlign = (len >> 2) << 2;
        int upperAlign = ((len + 3) >> 2) << 2;
        int dptr = 0;
        for (int i = 0; i < lowerAlign; i += 4) {
            if (buf[i] == MAGIC_LE[0] && buf[i + 1] == MAGIC_LE[1] && buf[i + 2] == MAGIC_LE[2]
                    && buf[i + 3] == MAGIC_LE[3]) {
                part(out, dptr == 0 ? 1 : 2, buf, dptr, i - dptr);
                dptr = i + 4;
            }
        }
        part(out, dptr != 0 ? 3 : 0, buf, dptr, len - dptr);
        out.write(new byte[upperAlign - len], 0, upperAlign - len);
    }

    private static void part(ByteArrayOutputStream out, int cflag, byte[] buf, int from, int len) {
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(RecordIO.MAGIC).putInt(cflag << 29 | len);
        out.write(h.array(), 0, 8);
        out.write(buf, from, len);
    }

    static int rgb(int s, int x, int y) {
        return ((s * 40 + x * 16) & 0xff) << 16 | ((y * 16 + s * 7) & 0xff) << 8 | ((x + y) * 8 + s) & 0xff;
    }

    static byte[] png(int s) throws IOException {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                img.setRGB(x, y, rgb(s, x, y));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static byte[] chw(int s) {
        byte[] b = new byte[3 * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int p = rgb(s, x, y);
                b[y * SIZE + x] = (byte) (p >> 16);
                b[SIZE * SIZE + y * SIZE + x] = (byte) (p >> 8);
                b[2 * SIZE * SIZE + y * SIZE + x] = (byte) p;
            }
        }
        return b;
    }

    /** The 'IdQQ' variant of some InsightFace helper scripts: the label array as float64. */
    static byte[] pack64(double[] labels) {
        ByteBuffer b = ByteBuffer.allocate(24 + 8 * labels.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(labels.length).putFloat(0).putLong(0).putLong(0);
        for (double l : labels) {
            b.putDouble(l);
        }
        return b.array();
    }

    static List<Long> write(Path dir, String property) throws IOException {
        return write(dir, property, false);
    }

    /** Writes train.rec, train.idx and property; returns the record offsets by key. */
    static List<Long> write(Path dir, String property, boolean float64) throws IOException {
        Files.createDirectories(dir);
        ByteArrayOutputStream rec = new ByteArrayOutputStream();
        List<Long> offsets = new ArrayList<>();
        int l0 = IDENTITY.length + 1;
        int l1 = l0 + 2;
        offsets.add((long) rec.size());
        writeRecord(rec, float64 ? pack64(new double[]{l0, l1}) : pack(0, 0, 0, new float[]{l0, l1}, new byte[0]));
        for (int k = 1; k < l0; k++) {
            offsets.add((long) rec.size());
            // key 2's id and id2 words are the magic: a record in three parts (first, middle, last)
            long magic = 0xCED7230AL;
            writeRecord(rec, pack(IDENTITY[k - 1], k == 2 ? magic : k, k == 2 ? magic : 0, new float[0], png(k)));
        }
        offsets.add((long) rec.size());
        writeRecord(rec, float64 ? pack64(new double[]{1, 3}) : pack(0, 0, 0, new float[]{1, 3}, new byte[0]));
        offsets.add((long) rec.size());
        writeRecord(rec, float64 ? pack64(new double[]{3, 6}) : pack(0, 0, 0, new float[]{3, 6}, new byte[0]));
        Files.write(dir.resolve("train.rec"), rec.toByteArray());
        StringBuilder idx = new StringBuilder();
        for (int k = 0; k < offsets.size(); k++) {
            idx.append(k).append('\t').append(offsets.get(k)).append('\n');
        }
        Files.writeString(dir.resolve("train.idx"), idx.toString());
        Files.writeString(dir.resolve("property"), property + "\n");
        return offsets;
    }

    static PrepareSettings settings(Path in, Path out) {
        return new PrepareSettings("recordio", in.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0, "first", 1.0,
                0.0, "", 0, "shorter-side-crop", "fail", null, null);
    }

    @Test
    void splitRecordIsJoinedWithTheMagicPutBack() throws IOException {
        Path dir = work.resolve("rec");
        List<Long> offsets = write(dir, "2,8,8");
        byte[] file = Files.readAllBytes(dir.resolve("train.rec"));
        // key 2 really is split: its first part has cflag 1
        int lrecord = ByteBuffer.wrap(file, (int) (long) offsets.get(2) + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(1, lrecord >>> 29);
        FileSystem fs = FileSystem.getLocal(new Configuration());
        try (FSDataInputStream in = fs.open(new org.apache.hadoop.fs.Path(dir.resolve("train.rec").toUri()))) {
            byte[] data = RecordIO.read(in, offsets.get(2), file.length, "train.rec");
            assertArrayEquals(pack(0, 0xCED7230AL, 0xCED7230AL, new float[0], png(2)), data);
            RecordIO.Payload p = RecordIO.parse(data, false, "key 2");
            assertEquals(0xCED7230AL, p.id());
            assertArrayEquals(png(2), p.image());

            String msg = assertThrows(DataFormatException.class,
                    () -> RecordIO.read(in, offsets.get(1) + 4, file.length, "train.rec")).getMessage();
            assertTrue(msg.contains("byte offset " + (offsets.get(1) + 4)) && msg.contains("magic"), msg);
            msg = assertThrows(DataFormatException.class,
                    () -> RecordIO.read(in, offsets.get(1), offsets.get(1) + 20, "train.rec")).getMessage();
            assertTrue(msg.contains("past the end"), msg);
        }
    }

    @Test
    void preparesIdentitiesFromTheHeaderRanges() throws IOException {
        Path dir = work.resolve("rec dir");
        write(dir, "2,8,8");
        Path out = work.resolve("out");
        PrepareJob.run(settings(dir, out), spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals("recordio", m.format());
        assertEquals(2, m.classes());
        assertEquals(new Manifest.Image(SIZE, SIZE, 3), m.image());
        assertEquals(List.of(2L, 3L), m.splits().get("train").perClass());
        assertEquals(List.of("train.rec", "train.idx", "property"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());
        List<Row> rows = spark.read().parquet(shards.parquetPaths("train")).collectAsList().stream()
                .sorted(Comparator.comparingLong(r -> r.getLong(0))).toList();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), rows.stream().map(r -> r.getLong(0)).toList());
        for (Row r : rows) {
            int key = (int) r.getLong(0);
            assertEquals(IDENTITY[key - 1], r.getInt(1));
            assertArrayEquals(chw(key), (byte[]) r.get(5), "pixels of key " + key);
        }
    }

    @Test
    void float64HeaderVariantIsDetected() throws IOException {
        Path dir = work.resolve("rec64");
        write(dir, "2,8,8", true);
        Path out = work.resolve("out64");
        PrepareJob.run(settings(dir, out), spark);
        Manifest m = shards(out).manifest();
        assertEquals(List.of(2L, 3L), m.splits().get("train").perClass());
    }

    @Test
    void float32RangesBeyond2To24AreRefused() throws IOException {
        Path dir = work.resolve("big");
        Files.createDirectories(dir);
        ByteArrayOutputStream rec = new ByteArrayOutputStream();
        writeRecord(rec, pack(0, 0, 0, new float[]{16_777_226f, 16_777_228f}, new byte[0]));
        Files.write(dir.resolve("train.rec"), rec.toByteArray());
        Files.writeString(dir.resolve("train.idx"), "0\t0\n");
        Files.writeString(dir.resolve("property"), "2,112,112\n");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("2^24"), msg);
    }

    @Test
    void propertyHeaderAndIdxDisagreementsAreNamed() throws IOException {
        Path dir = work.resolve("rec");
        List<Long> offsets = write(dir, "3,8,8");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("property") && msg.contains("3 classes") && msg.contains("2 identities"), msg);

        Files.writeString(dir.resolve("property"), "2,8,8\n");
        String idx = Files.readString(dir.resolve("train.idx"));
        Files.writeString(dir.resolve("train.idx"), idx.replace("4\t" + offsets.get(4) + "\n",
                "4\t" + (offsets.get(4) + 8) + "\n"));
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("key 4") && msg.contains("does not point at a record"), msg);

        Files.writeString(dir.resolve("train.idx"), idx + "9\t0\n");
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("largest key is 9"), msg);

        Files.writeString(dir.resolve("train.idx"), idx.replace("5\t" + offsets.get(5), "5\t99999"));
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(dir, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("offset 99999") && msg.contains("outside"), msg);
    }
}
