package io.protospark.jobs.train;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.image.ImageDecoder;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.TrainJob;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Erasing;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.ImagePipeline;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.examples.RandomResizedCrop;
import io.protospark.jobs.spark.SharedSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training on a data set of encoded images ({@code prepare.store = encoded}, the default of {@code --format imagenet})
 * prepared from JPEGs in the ILSVRC-2012 layout: the crop of each example depends on the seed, the epoch and the
 * example alone (not on the partitions or the decoding threads), evaluation takes the centre crop of the shorter-side
 * resize, an epoch trains end to end, and the settings that do not apply to encoded images are refused.
 */
class EncodedTrainingTest {
    private static final int CLASSES = 3;
    private static final int PER_CLASS = 12;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;

    @BeforeAll
    static void prepare() throws Exception {
        spark = SharedSpark.session();
        Path raw = tmp.resolve("ILSVRC2012");
        String[] wnids = {"n01440764", "n02119789", "n09999999"};
        Random r = new Random(11);
        for (int c = 0; c < CLASSES; c++) {
            for (int i = 0; i < PER_CLASS + 4; i++) {
                // ImageNet-like: various sizes and aspect ratios, a colour per class plus noise
                BufferedImage img = image(c, 20 + r.nextInt(30), 20 + r.nextInt(30), r);
                Path file = i < PER_CLASS
                        ? raw.resolve("train/" + wnids[c] + "/" + wnids[c] + "_" + i + ".JPEG")
                        : raw.resolve("val/" + wnids[c] + "/ILSVRC2012_val_0000000" + (c * 4 + i - PER_CLASS) + ".JPEG");
                Files.createDirectories(file.getParent());
                assertTrue(ImageIO.write(img, "jpeg", file.toFile()));
            }
        }
        data = tmp.resolve("data");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test", List.of("prepare.format=imagenet",
                "prepare.input=\"" + raw + "\"", "prepare.output=\"" + data + "\""))), spark);
    }

    static BufferedImage image(int c, int w, int h, Random r) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int base = c == 0 ? 0xc02020 : c == 1 ? 0x20c020 : 0x2020c0;
                img.setRGB(x, y, base + (r.nextInt(32) << 8) + (x * 2));
            }
        }
        return img;
    }

    private static ShardSet shards() {
        return ShardSet.open(data.toUri(), spark.sparkContext().hadoopConfiguration());
    }

    private static Decoding decoding(int threads) {
        return new Decoding(3, 16, 16, new float[]{0.5f, 0.5f, 0.5f}, new float[]{0.25f, 0.25f, 0.25f}, 0, true,
                new Erasing(0.5, 0.02, 0.33, 0.3, 3.3), new ImagePipeline(RandomResizedCrop.DEFAULT, 20, threads, 2));
    }

    /** Every example's network input of the epoch of {@code seed}, as sorted text (one minibatch per example). */
    private static List<String> augmented(int partitions, int threads, long seed) {
        JavaRDD<Example> examples = ExampleRdds.read(spark, shards(), "train", partitions, 0);
        assertEquals(Math.max(partitions, 1), examples.getNumPartitions());
        List<String> out = new ArrayList<>();
        for (DataSet ds : ExampleRdds.batches(examples, 1, CLASSES, decoding(threads), seed).collect()) {
            out.add(Arrays.toString(ds.getLabels().data().asFloat()) + Arrays.toString(ds.getFeatures().data()
                    .asFloat()));
        }
        out.sort(null);
        return out;
    }

    @Test
    void theCropsDependOnSeedAndExampleNotOnPartitionsOrThreads() {
        List<Example> read = ExampleRdds.read(spark, shards(), "train", 2, 0).collect();
        assertEquals(CLASSES * PER_CLASS, read.size());
        assertTrue(read.stream().allMatch(e -> (e.pixels()[0] & 0xff) == 0xff && (e.pixels()[1] & 0xff) == 0xd8),
                "the training read hands out the JPEG bytes");

        List<String> one = augmented(1, 0, 42);
        assertEquals(CLASSES * PER_CLASS, one.size());
        assertEquals(one, augmented(3, 0, 42), "3 partitions");
        assertEquals(one, augmented(3, 2, 42), "3 partitions, 2 decoding threads");
        assertEquals(one, augmented(1, 2, 42), "1 partition, 2 decoding threads");
        List<String> other = augmented(2, 2, 43);
        assertNotEquals(one, other, "another epoch's seed draws other crops");
    }

    @Test
    void anExampleIsCroppedFlippedAndErasedFromItsOwnGenerator() throws Exception {
        Example e = ExampleRdds.read(spark, shards(), "train", 1, 0).first();
        Decoding d = decoding(0);
        long seed = 99;
        // what the pipeline draws, in its order: box, flip, erasing
        BufferedImage img = ImageDecoder.decodeImage(e.pixels());
        Random r = Minibatches.exampleRandom(seed, e);
        int[] b = RandomResizedCrop.DEFAULT.box(img.getHeight(), img.getWidth(), RandomResizedCrop.of(r));
        boolean flip = r.nextBoolean();
        int[] erase = d.erase().draw(16, 16, r);
        byte[] pixels = new byte[3 * 16 * 16];
        ImageDecoder.cropResize(img, b[0], b[1], b[2], b[3], 16, 16, flip, pixels);
        float[] expected = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            expected[i] = ((pixels[i] & 0xff) / 255f - 0.5f) / 0.25f;
        }
        if (erase != null) {
            for (int c = 0; c < 3; c++) {
                for (int y = erase[0]; y < erase[0] + erase[2]; y++) {
                    Arrays.fill(expected, c * 256 + y * 16 + erase[1], c * 256 + y * 16 + erase[1] + erase[3], 0f);
                }
            }
        }
        List<DataSet> got = new ArrayList<>();
        new Minibatches.BatchIterator(List.of(e).iterator(), null, 1, CLASSES, d, Minibatches.Training.NONE,
                new Random(0), seed).forEachRemaining(got::add);
        assertArrayEquals(expected, got.get(0).getFeatures().data().asFloat(), 1e-6f);
    }

    @Test
    void evaluationTakesTheCentreOfTheShorterSideResize() throws Exception {
        // a 21 x 16 PNG is already at shorter side 16: the 8 x 8 centre crop starts at row round(4) = 4 and
        // column round(6.5) = 6 (half to even), with no resampling
        BufferedImage img = new BufferedImage(21, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 21; x++) {
                img.setRGB(x, y, (x * 12) << 16 | (y * 15) << 8 | (x + y));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", png));
        Decoding d = new Decoding(3, 8, 8, new float[0], new float[0], 0, true, Erasing.NONE,
                new ImagePipeline(RandomResizedCrop.DEFAULT, 16, 0, 1)).withoutAugmentation();
        DataSet ds = Minibatches.toDataSet(List.of(new Example(1, png.toByteArray())), 1, 2, d, null);
        float[] x = ds.getFeatures().data().asFloat();
        for (int y = 0; y < 8; y++) {
            for (int col = 0; col < 8; col++) {
                int p = img.getRGB(6 + col, 4 + y);
                assertEquals((p >> 16 & 0xff) / 255f, x[y * 8 + col], 1e-6f, "red at " + y + "," + col);
                assertEquals((p >> 8 & 0xff) / 255f, x[64 + y * 8 + col], 1e-6f, "green at " + y + "," + col);
                assertEquals((p & 0xff) / 255f, x[128 + y * 8 + col], 1e-6f, "blue at " + y + "," + col);
            }
        }
        assertArrayEquals(new long[]{1, 3, 8, 8}, ds.getFeatures().shape());
    }

    private static TrainLoop.Result train(Path run, String... overrides) {
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + run + "\"",
                "model.classes=" + CLASSES, "model.embedding-dim=2", "model.input.height=16", "model.input.width=16", "model.input.channels=3",
                "train.epochs=1", "train.workers=2", "train.batch-size=8", "train.averaging-frequency=2",
                "train.report=false", "train.augment.flip=true", "train.images.eval-resize=20"));
        o.addAll(List.of(overrides));
        return TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", o)), spark);
    }

    @Test
    void trainsAnEpochFromEncodedShards() {
        TrainLoop.Result r = train(tmp.resolve("run"));
        assertEquals(1, r.epochs().size());
        assertTrue(Double.isFinite(r.epochs().get(0).trainLoss()), r.epochs().toString());
        assertEquals(CLASSES * PER_CLASS, r.epochs().get(0).trainExamples());
        assertTrue(r.testAccuracy() >= 0 && r.testAccuracy() <= 1);
    }

    @Test
    void refusesThePaddedCropAndAnEvalResizeBelowTheInput() {
        SettingsException pad = org.junit.jupiter.api.Assertions.assertThrows(SettingsException.class,
                () -> train(tmp.resolve("run-pad"), "train.augment.crop-padding=4"));
        assertEquals("protospark.train.augment.crop-padding", pad.key());
        assertTrue(pad.getMessage().contains("encoded"), pad.getMessage());
        SettingsException resize = org.junit.jupiter.api.Assertions.assertThrows(SettingsException.class,
                () -> train(tmp.resolve("run-resize"), "train.images.eval-resize=12"));
        assertEquals("protospark.train.images.eval-resize", resize.key());
        SettingsException channels = org.junit.jupiter.api.Assertions.assertThrows(SettingsException.class,
                () -> train(tmp.resolve("run-grey"), "model.input.channels=1"));
        assertEquals("protospark.model.input.channels", channels.key());
    }
}
