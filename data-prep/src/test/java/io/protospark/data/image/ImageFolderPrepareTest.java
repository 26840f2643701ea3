package io.protospark.data.image;

import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ImageFolder and ImageNet trees of tiny PNG / JPEG files written with ImageIO, prepared end to end. */
class ImageFolderPrepareTest extends LocalSparkTest {
    private static final int SIZE = 8;
    @TempDir
    Path work;

    static PrepareSettings settings(String format, Path in, Path out, String corrupt, URI truth, URI synsets) {
        return new PrepareSettings(format, in.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0, "first", 1.0,
                0.0, "", SIZE, "shorter-side-crop", corrupt, truth, synsets);
    }

    /** RGB of pixel (x, y) of the pattern image with seed {@code s}. */
    static int rgb(int s, int x, int y) {
        return ((s * 40 + x * 16) & 0xff) << 16 | ((y * 16 + s * 7) & 0xff) << 8 | ((x + y) * 8 + s) & 0xff;
    }

    static BufferedImage pattern(int s, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb(s, x, y));
            }
        }
        return img;
    }

    /** CHW bytes of the {@code SIZE x SIZE} window at (x0, y0) of pattern {@code s}. */
    static byte[] expected(int s, int x0, int y0) {
        byte[] b = new byte[3 * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int p = rgb(s, x0 + x, y0 + y);
                b[y * SIZE + x] = (byte) (p >> 16);
                b[SIZE * SIZE + y * SIZE + x] = (byte) (p >> 8);
                b[2 * SIZE * SIZE + y * SIZE + x] = (byte) p;
            }
        }
        return b;
    }

    static void png(Path file, BufferedImage img) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }

    static void jpeg(Path file, BufferedImage img) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, "jpeg", file.toFile()));
    }

    @Test
    void imageFolderLabelsPixelsAndCrop() throws IOException {
        Path raw = work.resolve("raw data");
        // classes sorted: ant 0, cat 1, dog 2; files sorted by path within each class
        png(raw.resolve("train/dog/b.png"), pattern(1, SIZE, SIZE));
        png(raw.resolve("train/dog/a.png"), pattern(2, SIZE, SIZE));
        png(raw.resolve("train/cat/x.PNG"), pattern(3, 2 * SIZE, SIZE)); // wide: centre crop x 4..11, no scaling
        png(raw.resolve("train/ant/deep/z.png"), pattern(4, SIZE, 2 * SIZE)); // tall: centre crop y 4..11
        jpeg(raw.resolve("train/ant/j.jpg"), pattern(5, 4 * SIZE, 4 * SIZE)); // scaled down 4x, lossy
        Files.writeString(raw.resolve("train/ant/notes.txt"), "ignored");
        png(raw.resolve("test/cat/t.png"), pattern(6, SIZE, SIZE));
        Path out = work.resolve("out");
        PrepareJob.run(settings("imagefolder", raw, out, "fail", null, null), spark);

        Manifest m = shards(out).manifest();
        assertEquals(List.of("ant", "cat", "dog"), m.classNames());
        assertEquals(new Manifest.Image(SIZE, SIZE, 3), m.image());
        assertEquals(List.of(2L, 1L, 2L), m.splits().get("train").perClass());
        assertEquals(List.of(0L, 1L, 0L), m.splits().get("test").perClass());
        assertEquals(List.of("train/", "test/"), m.source().files().stream().map(Manifest.SourceFile::path).toList());

        List<Row> train = rows(out, "train");
        // ids: ant/deep/z.png 0, ant/j.jpg 1, cat/x.PNG 2, dog/a.png 3, dog/b.png 4
        assertEquals(List.of(0, 0, 1, 2, 2), train.stream().map(r -> r.getInt(1)).toList());
        assertArrayEquals(expected(4, 0, SIZE / 2), (byte[]) train.get(0).get(5));
        assertArrayEquals(expected(3, SIZE / 2, 0), (byte[]) train.get(2).get(5));
        assertArrayEquals(expected(2, 0, 0), (byte[]) train.get(3).get(5));
        assertArrayEquals(expected(1, 0, 0), (byte[]) train.get(4).get(5));
        assertEquals(List.of(SIZE, SIZE, 3), List.of(train.get(1).getInt(2), train.get(1).getInt(3),
                train.get(1).getInt(4)));
        assertEquals(3 * SIZE * SIZE, ((byte[]) train.get(1).get(5)).length);
        assertArrayEquals(expected(6, 0, 0), (byte[]) rows(out, "test").get(0).get(5));
    }

    @Test
    void corruptImageFailsNamingTheFileOrIsSkippedAndListed() throws IOException {
        Path raw = work.resolve("raw");
        png(raw.resolve("train/a/0.png"), pattern(1, SIZE, SIZE));
        Files.write(raw.resolve("train/a/1.jpg"), new byte[]{(byte) 0xff, (byte) 0xd8, 1, 2, 3, 4});
        png(raw.resolve("train/b/3.png"), pattern(2, SIZE, SIZE));
        Files.write(raw.resolve("train/b/2.png"), new byte[0]);
        png(raw.resolve("test/a/t.png"), pattern(3, SIZE, SIZE));
        Path out = work.resolve("out");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("imagefolder", raw, out, "fail", null, null), spark)).getMessage();
        assertTrue(msg.contains("1.jpg") || msg.contains("2.png"), msg);
        assertTrue(msg.contains("corrupt-images=skip"), msg);
        assertFalse(Files.exists(out));

        PrepareJob.run(settings("imagefolder", raw, out, "skip", null, null), spark);
        Manifest m = shards(out).manifest();
        assertEquals(2L, m.splits().get("train").examples());
        assertEquals(List.of(1L, 1L), m.splits().get("train").perClass());
        assertEquals(List.of(1L, 2L), m.splits().get("train").skipped());
        assertEquals(List.of(0L, 3L), rows(out, "train").stream().map(r -> r.getLong(0)).toList());
    }

    @Test
    void emptyClassFolderAndUnknownTestClassAreErrors() throws IOException {
        Path raw = work.resolve("raw");
        png(raw.resolve("train/a/0.png"), pattern(1, SIZE, SIZE));
        Files.createDirectories(raw.resolve("train/empty"));
        png(raw.resolve("test/a/t.png"), pattern(3, SIZE, SIZE));
        String msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(
                settings("imagefolder", raw, work.resolve("o"), "fail", null, null), spark)).getMessage();
        assertTrue(msg.contains("train/empty") && msg.contains("holds no"), msg);

        Files.delete(raw.resolve("train/empty"));
        png(raw.resolve("test/zebra/t.png"), pattern(3, SIZE, SIZE));
        msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(
                settings("imagefolder", raw, work.resolve("o"), "fail", null, null), spark)).getMessage();
        assertTrue(msg.contains("zebra"), msg);

        SettingsException e = assertThrows(SettingsException.class, () -> new PrepareSettings("imagefolder",
                raw.toUri(), work.resolve("o").toUri(), 64, false, 10, List.of()));
        assertEquals(PrepareSettings.IMAGE_SIZE, e.key());
    }

    @Test
    void imageNetFlatValRemapsIlsvrcIdToSortedWnidIndex() throws IOException {
        Path raw = work.resolve("imagenet");
        // sorted WNIDs: n01440764 (tench) = 0, n02119789 (kit fox) = 1, n09999999 = 2
        png(raw.resolve("train/n02119789/n02119789_1.JPEG"), pattern(1, SIZE, SIZE));
        png(raw.resolve("train/n01440764/n01440764_7.JPEG"), pattern(2, SIZE, SIZE));
        png(raw.resolve("train/n09999999/n09999999_3.JPEG"), pattern(3, SIZE, SIZE));
        for (int i = 1; i <= 4; i++) {
            png(raw.resolve(String.format("val/ILSVRC2012_val_%08d.JPEG", i)), pattern(10 + i, SIZE, SIZE));
        }
        Path devkit = work.resolve("devkit");
        Files.createDirectories(devkit);
        // ILSVRC2012_ID 1 = kit fox, 2 = tench, 3 = n09999999 (ID order differs from sorted-WNID order)
        Path truth = Files.writeString(devkit.resolve("ILSVRC2012_validation_ground_truth.txt"), "1\n2\n3\n1\n");
        Path synsets = Files.writeString(devkit.resolve("synsets.txt"),
                "1 n02119789 kit fox, Vulpes macrotis\n2 n01440764 tench, Tinca tinca\n3 n09999999 other\n");
        Path out = work.resolve("out");
        PrepareJob.run(settings("imagenet", raw, out, "fail", truth.toUri(), synsets.toUri()), spark);
        Manifest m = shards(out).manifest();
        assertEquals(List.of("n01440764", "n02119789", "n09999999"), m.classNames());
        List<Row> test = rows(out, "test");
        assertEquals(List.of(1, 0, 2, 1), test.stream().map(r -> r.getInt(1)).toList());
        assertArrayEquals(expected(13, 0, 0), (byte[]) test.get(2).get(5));
        assertEquals(List.of("train/", "val/", "ILSVRC2012_validation_ground_truth.txt", "synsets.txt"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());

        // the devkit's meta.mat instead of the text mapping gives the same labels
        Path meta = devkit.resolve("meta.mat");
        try (java.io.InputStream in = getClass().getResourceAsStream("/imagenet/meta.mat")) {
            Files.write(meta, in.readAllBytes());
        }
        Path outMat = work.resolve("out-mat");
        PrepareJob.run(settings("imagenet", raw, outMat, "fail", truth.toUri(), meta.toUri()), spark);
        assertEquals(List.of(1, 0, 2, 1), rows(outMat, "test").stream().map(r -> r.getInt(1)).toList());

        // flat val without label files; a ground-truth ID the mapping lacks
        String msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(
                settings("imagenet", raw, work.resolve("o"), "fail", null, null), spark)).getMessage();
        assertTrue(msg.contains("val-ground-truth") && msg.contains("synsets"), msg);
        Files.writeString(truth, "1\n2\n7\n1\n");
        msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(
                settings("imagenet", raw, work.resolve("o"), "fail", truth.toUri(), synsets.toUri()), spark))
                .getMessage();
        assertTrue(msg.contains("line 3") && msg.contains("ILSVRC2012_ID 7"), msg);
    }
}
