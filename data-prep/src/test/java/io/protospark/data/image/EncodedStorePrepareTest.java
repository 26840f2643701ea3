package io.protospark.data.image;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.protospark.data.image.ImageFolderPrepareTest.jpeg;
import static io.protospark.data.image.ImageFolderPrepareTest.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code prepare.store = encoded} on ImageNet trees of JPEGs written with ImageIO in the ILSVRC-2012 layout
 * ({@code train/<wnid>/<wnid>_N.JPEG}, a flat {@code val/} labelled by the devkit's ground truth and synsets).
 */
class EncodedStorePrepareTest extends LocalSparkTest {
    @TempDir
    Path work;

    static PrepareSettings settings(String format, Path in, Path out, int imageSize, String resize, String corrupt,
                                    URI truth, URI synsets, String store) {
        return new PrepareSettings(format, in.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0, "first", 1.0,
                0.0, "", imageSize, resize, corrupt, truth, synsets, null, null, 1.0, store);
    }

    /** A smooth gradient: red along x, green along y. */
    static BufferedImage smooth(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 255 / (w - 1)) << 16 | (y * 255 / (h - 1)) << 8 | 128);
            }
        }
        return img;
    }

    /** An ImageNet tree: three classes of JPEGs of several sizes, a flat val/ of four, and its devkit files. */
    private URI[] imageNet(Path raw) throws IOException {
        jpeg(raw.resolve("train/n02119789/n02119789_1.JPEG"), smooth(40, 30));
        jpeg(raw.resolve("train/n02119789/n02119789_2.JPEG"), pattern(2, 12, 20));
        jpeg(raw.resolve("train/n01440764/n01440764_7.JPEG"), pattern(3, 64, 48));
        jpeg(raw.resolve("train/n09999999/n09999999_3.JPEG"), pattern(4, 30, 50));
        for (int i = 1; i <= 4; i++) {
            jpeg(raw.resolve(String.format("val/ILSVRC2012_val_%08d.JPEG", i)), pattern(10 + i, 20 + 4 * i, 24));
        }
        Path devkit = Files.createDirectories(work.resolve("devkit"));
        Path truth = Files.writeString(devkit.resolve("ILSVRC2012_validation_ground_truth.txt"), "1\n2\n3\n1\n");
        Path synsets = Files.writeString(devkit.resolve("synsets.txt"),
                "1 n02119789 kit fox, Vulpes macrotis\n2 n01440764 tench, Tinca tinca\n3 n09999999 other\n");
        return new URI[]{truth.toUri(), synsets.toUri()};
    }

    @Test
    void storesTheJpegBytesAsTheyAreAndRecordsTheStore() throws IOException {
        Path raw = work.resolve("ILSVRC2012");
        URI[] devkit = imageNet(raw);
        Path out = work.resolve("out");
        PrepareJob.run(settings("imagenet", raw, out, 0, "shorter-side-crop", "fail", devkit[0], devkit[1],
                "encoded"), spark);

        Manifest m = shards(out).manifest();
        assertEquals(Manifest.ENCODED, m.store());
        assertTrue(m.encoded());
        assertEquals(new Manifest.Image(0, 0, 3), m.image());
        assertTrue(m.toJson().contains("\"store\" : \"encoded\""), m.toJson());
        assertEquals(List.of(ShardSchema.ID, ShardSchema.LABEL, ShardSchema.HEIGHT, ShardSchema.WIDTH,
                ShardSchema.CHANNELS, ShardSchema.ENCODED), List.of(spark.read()
                .parquet(shards(out).parquetPaths("train")).schema().fieldNames()));

        // ids in sorted-WNID order: n01440764_7 (0), n02119789_1 (1), n02119789_2 (2), n09999999_3 (3)
        List<Row> train = rows(out, "train");
        String[] files = {"train/n01440764/n01440764_7.JPEG", "train/n02119789/n02119789_1.JPEG",
                "train/n02119789/n02119789_2.JPEG", "train/n09999999/n09999999_3.JPEG"};
        int[][] hw = {{48, 64}, {30, 40}, {20, 12}, {50, 30}};
        for (int i = 0; i < files.length; i++) {
            Row r = train.get(i);
            assertArrayEquals(Files.readAllBytes(raw.resolve(files[i])), (byte[]) r.get(5), files[i]);
            assertEquals(List.of(hw[i][0], hw[i][1], 3), List.of(r.getInt(2), r.getInt(3), r.getInt(4)), files[i]);
        }
        assertEquals(List.of(0, 1, 1, 2), train.stream().map(r -> r.getInt(1)).toList());
        // the stored bytes decode to the image written
        BufferedImage back = ImageDecoder.decodeImage((byte[]) train.get(1).get(5));
        assertEquals(40, back.getWidth());
        assertEquals(30, back.getHeight());

        List<Row> test = rows(out, "test");
        assertEquals(List.of(1, 0, 2, 1), test.stream().map(r -> r.getInt(1)).toList());
        assertArrayEquals(Files.readAllBytes(raw.resolve("val/ILSVRC2012_val_00000003.JPEG")),
                (byte[]) test.get(2).get(5));
    }

    @Test
    void imageSizeResizesTheShorterSideAndReencodesOnlyLargerImages() throws IOException {
        Path raw = work.resolve("ILSVRC2012");
        URI[] devkit = imageNet(raw);
        Path out = work.resolve("out");
        PrepareJob.run(settings("imagenet", raw, out, 16, "shorter-side-crop", "fail", devkit[0], devkit[1],
                "encoded"), spark);
        Manifest m = shards(out).manifest();
        assertEquals(new Manifest.Image(16, 16, 3), m.image());
        List<Row> train = rows(out, "train");
        // 64x48 -> 21x16 (torchvision's Resize(16): 16 * 64 / 48 = 21.3 rounded down), 40x30 -> 21x16,
        // 12x20 is kept as it was (its shorter side 12 is below 16), 30x50 -> 16x26
        int[][] hw = {{16, 21}, {16, 21}, {20, 12}, {26, 16}};
        for (int i = 0; i < hw.length; i++) {
            Row r = train.get(i);
            assertEquals(List.of(hw[i][0], hw[i][1]), List.of(r.getInt(2), r.getInt(3)), "id " + i);
            BufferedImage img = ImageDecoder.decodeImage((byte[]) r.get(5));
            assertEquals(List.of(hw[i][0], hw[i][1]), List.of(img.getHeight(), img.getWidth()), "id " + i);
        }
        assertArrayEquals(Files.readAllBytes(raw.resolve("train/n02119789/n02119789_2.JPEG")),
                (byte[]) train.get(2).get(5));
        // the stored JPEG is the source resized (torchvision's Resize(16)), up to the loss of JPEG quality 90
        BufferedImage stored = ImageDecoder.decodeImage((byte[]) train.get(1).get(5));
        BufferedImage resized = ImageDecoder.shorterSide(ImageDecoder.decodeImage(
                Files.readAllBytes(raw.resolve("train/n02119789/n02119789_1.JPEG"))), 16);
        double diff = 0;
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 21; x++) {
                for (int shift = 0; shift <= 16; shift += 8) {
                    diff += Math.abs((stored.getRGB(x, y) >> shift & 0xff) - (resized.getRGB(x, y) >> shift & 0xff));
                }
            }
        }
        diff /= 16 * 21 * 3;
        assertTrue(diff < 3, "mean absolute difference " + diff);
    }

    @Test
    void corruptJpegNamesTheFile() throws IOException {
        Path raw = work.resolve("ILSVRC2012");
        URI[] devkit = imageNet(raw);
        byte[] good = Files.readAllBytes(raw.resolve("train/n02119789/n02119789_1.JPEG"));
        // a JPEG cut off after its headers
        Files.write(raw.resolve("train/n02119789/n02119789_9.JPEG"), java.util.Arrays.copyOf(good, 200));
        Path out = work.resolve("out");
        String msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(settings("imagenet", raw, out, 0,
                "shorter-side-crop", "fail", devkit[0], devkit[1], "encoded"), spark)).getMessage();
        assertTrue(msg.contains("n02119789_9.JPEG"), msg);
        assertTrue(msg.contains("corrupt-images=skip"), msg);
        assertFalse(Files.exists(out));

        PrepareJob.run(settings("imagenet", raw, out, 0, "shorter-side-crop", "skip", devkit[0], devkit[1],
                "encoded"), spark);
        assertEquals(List.of(3L), shards(out).manifest().splits().get("train").skipped());
    }

    @Test
    void refusesEncodedWhereAFormatCannotKeepItAndBadValues() {
        Path in = work.resolve("in");
        SettingsException e = assertThrows(SettingsException.class, () -> settings("cifar10", in,
                work.resolve("o"), 0, "shorter-side-crop", "fail", null, null, "encoded"));
        assertEquals(PrepareSettings.STORE, e.key());
        assertTrue(e.getMessage().contains("cifar10") && e.getMessage().contains("encoded"), e.getMessage());

        e = assertThrows(SettingsException.class, () -> settings("imagenet", in, work.resolve("o"), 0,
                "shorter-side-crop", "fail", null, null, "jpeg"));
        assertEquals(PrepareSettings.STORE, e.key());
        assertTrue(e.getMessage().contains("jpeg"), e.getMessage());

        e = assertThrows(SettingsException.class, () -> settings("imagenet", in, work.resolve("o"), 256, "exact",
                "fail", null, null, "encoded"));
        assertEquals(PrepareSettings.RESIZE, e.key());

        // pixels still need an image size
        e = assertThrows(SettingsException.class, () -> settings("imagenet", in, work.resolve("o"), 0,
                "shorter-side-crop", "fail", null, null, "pixels"));
        assertEquals(PrepareSettings.IMAGE_SIZE, e.key());
    }

    @Test
    void theStoreDefaultsToEncodedForImageNetAndImageFolderOnly() {
        for (Map.Entry<String, String> f : Map.of("imagenet", "encoded", "imagefolder", "encoded",
                "tiny-imagenet", "pixels", "cifar10", "pixels", "idx", "pixels").entrySet()) {
            Config c = ConfigFactory.parseMap(Map.of(PrepareSettings.FORMAT, f.getKey(),
                            PrepareSettings.INPUT, work.resolve("in").toUri().toString(),
                            PrepareSettings.OUTPUT, work.resolve("out").toUri().toString()))
                    .withFallback(ConfigFactory.defaultReference()).resolve();
            PrepareSettings s = PrepareSettings.from(c);
            assertEquals(f.getValue(), s.store(), f.getKey());
            assertEquals(f.getValue().equals("encoded"), s.encoded(), f.getKey());
        }
        assertNull(Manifest.parse(pixelManifest(), "m").store());
        assertFalse(Manifest.parse(pixelManifest(), "m").encoded());
        String bad = pixelManifest().replace("\"created\"", "\"store\":\"png\",\"created\"");
        String msg = assertThrows(DataFormatException.class, () -> Manifest.parse(bad, "m.json")).getMessage();
        assertTrue(msg.contains("store") && msg.contains("png"), msg);
    }

    /** A manifest written before the store existed: decoded pixels. */
    private static String pixelManifest() {
        return "{\"version\":1,\"format\":\"imagenet\",\"classes\":1,\"class_names\":[\"a\"],"
                + "\"image\":{\"height\":8,\"width\":8,\"channels\":3},"
                + "\"splits\":{\"train\":{\"examples\":0,\"per_class\":[0]}},\"files\":[],"
                + "\"source\":{\"input\":\"file:/x\",\"files\":[]},\"created\":\"2026-01-01T00:00:00Z\"}";
    }
}
