package io.protospark.data.image;

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

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny-ImageNet-200 trees (lossless PNG bytes under the real {@code .JPEG} names, so every pixel can be compared)
 * prepared end to end.
 */
class TinyImageNetPrepareTest extends LocalSparkTest {
    private static final int SIDE = 64;
    /** wnids.txt order; sorted they are n01 (label 0), n02 (1), n03 (2). */
    private static final List<String> WNIDS = List.of("n03000003", "n01000001", "n02000002");

    @TempDir
    Path work;

    /** RGB of pixel (x, y) of pattern {@code s}: red follows x, green y, blue both. */
    static int rgb(int s, int x, int y) {
        return ((s * 40 + x * 3) & 0xff) << 16 | ((y * 5 + s * 7) & 0xff) << 8 | ((x * y + s) & 0xff);
    }

    static void image(Path file, int s) throws IOException {
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                img.setRGB(x, y, rgb(s, x, y));
            }
        }
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }

    static byte[] chw(int s) {
        byte[] b = new byte[3 * SIDE * SIDE];
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int p = rgb(s, x, y);
                b[y * SIDE + x] = (byte) (p >> 16);
                b[SIDE * SIDE + y * SIDE + x] = (byte) (p >> 8);
                b[2 * SIDE * SIDE + y * SIDE + x] = (byte) p;
            }
        }
        return b;
    }

    /**
     * Train: n03 images seeded 1, 2; n01: 3, 4; n02: 5 (+ boxes files). Val (annotation order val_0..val_3):
     * n02 seed 10, n03 seed 11, n01 seed 12, n03 seed 13. test/ holds an unlabelled image.
     */
    static Path tiny(Path root) throws IOException {
        Files.createDirectories(root);
        Files.writeString(root.resolve("wnids.txt"), String.join("\n", WNIDS) + "\n");
        Files.writeString(root.resolve("words.txt"), "n01000001\tone\nn02000002\ttwo\nn03000003\tthree\n");
        Map<String, int[]> train = Map.of("n03000003", new int[]{1, 2}, "n01000001", new int[]{3, 4},
                "n02000002", new int[]{5});
        for (Map.Entry<String, int[]> e : train.entrySet()) {
            Path dir = root.resolve("train").resolve(e.getKey());
            for (int i = 0; i < e.getValue().length; i++) {
                image(dir.resolve("images").resolve(e.getKey() + "_" + i + ".JPEG"), e.getValue()[i]);
            }
            Files.writeString(dir.resolve(e.getKey() + "_boxes.txt"), e.getKey() + "_0.JPEG\t0\t0\t10\t10\n");
        }
        String[] valWnids = {"n02000002", "n03000003", "n01000001", "n03000003"};
        StringBuilder annotations = new StringBuilder();
        for (int i = 0; i < valWnids.length; i++) {
            image(root.resolve("val/images/val_" + i + ".JPEG"), 10 + i);
            annotations.append("val_").append(i).append(".JPEG\t").append(valWnids[i]).append("\t1\t2\t30\t40\n");
        }
        Files.writeString(root.resolve("val/val_annotations.txt"), annotations.toString());
        image(root.resolve("test/images/test_0.JPEG"), 99);
        return root;
    }

    private static PrepareSettings settings(Path in, Path out, int imageSize) {
        return new PrepareSettings("tiny-imagenet", in.toUri(), out.toUri(), 64, false, 10, List.of(), 0, 0,
                "first", 1.0, 0.0, "", imageSize, "shorter-side-crop", "fail", null, null);
    }

    @Test
    void sortedWnidLabelsValAnnotationsAndPixels() throws IOException {
        Path raw = tiny(work.resolve("tiny-imagenet-200"));
        Path out = work.resolve("out");
        PrepareResult r = PrepareJob.run(settings(raw, out, 0), spark);
        assertEquals(Map.of("train", 5L, "test", 4L), r.examples());
        Manifest m = shards(out).manifest();
        assertEquals("tiny-imagenet", m.format());
        assertEquals(List.of("n01000001", "n02000002", "n03000003"), m.classNames());
        assertEquals(new Manifest.Image(SIDE, SIDE, 3), m.image());
        List<String> sources = m.source().files().stream().map(Manifest.SourceFile::path).toList();
        assertTrue(sources.containsAll(List.of("wnids.txt", "val/val_annotations.txt", "words.txt", "train/",
                "val/")), sources.toString());

        // train: sorted by class, then path: n01 (3, 4), n02 (5), n03 (1, 2)
        int[] trainSeeds = {3, 4, 5, 1, 2};
        int[] trainLabels = {0, 0, 1, 2, 2};
        List<Row> train = rows(out, "train");
        assertEquals(5, train.size());
        for (int i = 0; i < 5; i++) {
            Row row = train.get(i);
            assertEquals(i, row.getLong(0));
            assertEquals(trainLabels[i], row.getInt(1), "train label of " + i);
            assertEquals(List.of(SIDE, SIDE, 3), List.of(row.getInt(2), row.getInt(3), row.getInt(4)));
            assertArrayEquals(chw(trainSeeds[i]), (byte[]) row.get(5), "train pixels of " + i);
        }
        int[] testLabels = {1, 2, 0, 2};
        List<Row> test = rows(out, "test");
        assertEquals(4, test.size());
        for (int i = 0; i < 4; i++) {
            Row row = test.get(i);
            assertEquals(i, row.getLong(0));
            assertEquals(testLabels[i], row.getInt(1), "test label of val_" + i);
            assertArrayEquals(chw(10 + i), (byte[]) row.get(5), "test pixels of val_" + i);
        }

        Path resized = work.resolve("resized");
        PrepareJob.run(settings(raw, resized, 32), spark);
        assertEquals(new Manifest.Image(32, 32, 3),
                ShardSet.open(resized.toUri(), hadoop()).manifest().image());
    }

    private String refused(Path raw) {
        Path out = work.resolve("refused");
        String msg = assertThrows(DataFormatException.class, () -> PrepareJob.run(settings(raw, out, 0), spark))
                .getMessage();
        assertFalse(Files.exists(out));
        return msg;
    }

    @Test
    void malformedTreesAreRefusedNamingTheFile() throws IOException {
        Path raw = tiny(work.resolve("tiny-imagenet-200"));
        Path annotations = raw.resolve("val/val_annotations.txt");
        String good = Files.readString(annotations);

        Files.writeString(annotations, good + "val_9.JPEG\tn09999999\t0\t0\t1\t1\n");
        String msg = refused(raw);
        assertTrue(msg.contains(annotations.toString()) && msg.contains("line 5")
                && msg.contains("'n09999999', which is not in") && msg.contains("wnids.txt"), msg);

        Files.writeString(annotations, good + "val_9.JPEG\tn01000001\t0\t0\t1\t1\n");
        msg = refused(raw);
        assertTrue(msg.contains(annotations.toString()) && msg.contains("line 5") && msg.contains("val_9.JPEG")
                && msg.contains("does not hold"), msg);

        Files.writeString(annotations, good.substring(0, good.indexOf("val_3")));
        msg = refused(raw);
        assertTrue(msg.contains("1 images have no line in") && msg.contains("val_3.JPEG"), msg);

        Files.writeString(annotations, good + "val_0.JPEG\n");
        msg = refused(raw);
        assertTrue(msg.contains(annotations.toString()) && msg.contains("line 5 is not"), msg);

        Files.writeString(annotations, good);
        image(raw.resolve("train/n04000004/images/n04000004_0.JPEG"), 7);
        msg = refused(raw);
        assertTrue(msg.contains("n04000004") && msg.contains("is not a WNID of"), msg);

        Files.writeString(raw.resolve("wnids.txt"), String.join("\n", WNIDS) + "\nn04000004\nn05000005\n");
        msg = refused(raw);
        assertTrue(msg.contains("lacks the class folders of 1 WNIDs") && msg.contains("n05000005"), msg);

        Files.delete(raw.resolve("wnids.txt"));
        msg = refused(raw);
        assertTrue(msg.contains("must hold wnids.txt") && msg.contains(raw.toString()), msg);
    }
}
