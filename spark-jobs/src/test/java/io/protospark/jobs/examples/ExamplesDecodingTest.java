package io.protospark.jobs.examples;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pixel decoding: scaling, per-channel normalisation, and the seeded crop-and-flip augmentation. */
class ExamplesDecodingTest {
    /** A 2-channel 3x4 image whose byte at (c, r, x) is 100c + 10r + x. */
    private static Example image(int label) {
        byte[] p = new byte[2 * 3 * 4];
        for (int c = 0; c < 2; c++) {
            for (int r = 0; r < 3; r++) {
                for (int x = 0; x < 4; x++) {
                    p[c * 12 + r * 4 + x] = (byte) (100 * c + 10 * r + x);
                }
            }
        }
        return new Example(label, p);
    }

    private static float at(INDArray f, int c, int r, int x) {
        return f.getFloat(0, c, r, x);
    }

    @Test
    void normalisesPerChannel() {
        var d = new Decoding(2, 3, 4, new float[]{0.1f, 0.5f}, new float[]{0.5f, 0.25f}, 0, false);
        DataSet ds = Minibatches.toDataSet(List.of(image(1)), 3, d, null);
        assertEquals((23 / 255f - 0.1f) / 0.5f, at(ds.getFeatures(), 0, 2, 3), 1e-6);
        assertEquals((112 / 255f - 0.5f) / 0.25f, at(ds.getFeatures(), 1, 1, 2), 1e-6);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[]{1, 2, 3, 4}, ds.getFeatures().shape(), "NCHW");
        assertEquals(1f, ds.getLabels().getFloat(0, 1));
        assertEquals(1f, ds.getLabels().sumNumber().floatValue());
    }

    @Test
    void cropShiftsTheImageAndPadsWithBlack() {
        var d = new Decoding(2, 3, 4, new float[0], new float[0], 1, false);
        boolean shifted = false;
        Random rnd = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            INDArray f = Minibatches.toDataSet(List.of(image(0)), 1, d, rnd).getFeatures();
            // find the shift from the channel-1 pixel that is present: every output pixel is 0 or src(r+dy, x+dx)
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    if (matches(f, dy, dx, false)) {
                        shifted |= dy != 0 || dx != 0;
                    }
                }
            }
            boolean any = false;
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    any |= matches(f, dy, dx, false);
                }
            }
            assertTrue(any, "output is not a padded crop of the input");
        }
        assertTrue(shifted, "20 draws never shifted the image");
    }

    @Test
    void flipMirrorsRowsAndEvaluationNeverAugments() {
        var d = new Decoding(2, 3, 4, new float[0], new float[0], 0, true);
        Random rnd = new Random(11);
        int flipped = 0;
        for (int trial = 0; trial < 40; trial++) {
            INDArray f = Minibatches.toDataSet(List.of(image(0)), 1, d, rnd).getFeatures();
            boolean plain = matches(f, 0, 0, false);
            boolean mirror = matches(f, 0, 0, true);
            assertNotEquals(plain, mirror, "neither the image nor its mirror");
            flipped += mirror ? 1 : 0;
        }
        assertTrue(flipped > 5 && flipped < 35, "flip probability off: " + flipped + " of 40");
        INDArray eval = Minibatches.toDataSet(List.of(image(0)), 1, d.withoutAugmentation(), rnd).getFeatures();
        assertTrue(matches(eval, 0, 0, false));
    }

    /** A 2-channel 20x30 image whose every byte is 200. */
    private static Example flat() {
        byte[] p = new byte[2 * 20 * 30];
        java.util.Arrays.fill(p, (byte) 200);
        return new Example(0, p);
    }

    @Test
    void erasingZeroesOneRectangleOfTheDrawnAreaAndAspectInEveryChannel() {
        float[] mean = {0.1f, 0.5f};
        float[] std = {0.5f, 0.25f};
        var d = new Decoding(2, 20, 30, mean, std, 0, false, new Erasing(1.0, 0.1, 0.2, 0.5, 2.0));
        Random rnd = new Random(3);
        java.util.Set<Integer> tops = new java.util.HashSet<>();
        for (int trial = 0; trial < 200; trial++) {
            INDArray f = Minibatches.toDataSet(List.of(flat()), 1, d, rnd).getFeatures();
            int top = 20, left = 30, bottom = -1, right = -1, zeros = 0;
            for (int r = 0; r < 20; r++) {
                for (int x = 0; x < 30; x++) {
                    boolean erased = f.getFloat(0, 0, r, x) == 0f;
                    assertEquals(erased, f.getFloat(0, 1, r, x) == 0f, "the same rectangle in every channel");
                    for (int c = 0; c < 2; c++) {
                        if (!erased) {
                            assertEquals((200 / 255f - mean[c]) / std[c], f.getFloat(0, c, r, x), 1e-6);
                        }
                    }
                    if (erased) {
                        zeros++;
                        top = Math.min(top, r);
                        left = Math.min(left, x);
                        bottom = Math.max(bottom, r);
                        right = Math.max(right, x);
                    }
                }
            }
            int rows = bottom - top + 1;
            int cols = right - left + 1;
            assertEquals(rows * cols, zeros, "the erased pixels form one rectangle");
            // area fraction in [0.1, 0.2] and aspect rows/cols in [0.5, 2], up to rounding each side to an integer
            assertTrue(Math.sqrt(zeros) >= Math.sqrt(0.1 * 600) - 1.5 && Math.sqrt(zeros) <= Math.sqrt(0.2 * 600) + 1.5,
                    "area " + zeros);
            double aspect = (double) rows / cols;
            assertTrue(aspect >= 0.5 * 0.75 && aspect <= 2.0 / 0.75, "aspect " + rows + "x" + cols);
            tops.add(top);
        }
        assertTrue(tops.size() > 5, "the rectangle is placed at random: tops " + tops);
    }

    @Test
    void erasingFollowsCropAndFlipOnTheirOwnDrawsAndHappensWithItsProbability() {
        var plain = new Decoding(2, 20, 30, new float[0], new float[0], 2, true);
        var erasing = new Decoding(2, 20, 30, new float[0], new float[0], 2, true, new Erasing(0.5, 0.1, 0.2, 0.5, 2.0));
        byte[] p = new byte[2 * 20 * 30];
        new Random(9).nextBytes(p);
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (1 + (p[i] & 0x7f)); // no zero pixel but the padding
        }
        List<Example> one = List.of(new Example(0, p));
        int erased = 0;
        for (long seed = 0; seed < 200; seed++) {
            INDArray a = Minibatches.toDataSet(one, 1, plain, new Random(seed)).getFeatures();
            INDArray b = Minibatches.toDataSet(one, 1, erasing, new Random(seed)).getFeatures();
            long differing = a.neq(b).castTo(org.nd4j.linalg.api.buffer.DataType.INT32).sumNumber().longValue();
            // same crop and flip: every pixel either equal, or erased to 0
            assertEquals(differing, a.neq(b).castTo(org.nd4j.linalg.api.buffer.DataType.INT32)
                    .mul(b.eq(0).castTo(org.nd4j.linalg.api.buffer.DataType.INT32)).sumNumber().longValue());
            erased += differing > 0 ? 1 : 0;
        }
        assertTrue(erased > 70 && erased < 130, "probability 0.5 erased " + erased + " of 200");
    }

    @Test
    void erasingLeavesTheImageWhenNoRectangleFits() {
        // 99 % of a 20x30 image cannot fit strictly inside it: ten attempts fail, the image stays
        var d = new Decoding(2, 20, 30, new float[0], new float[0], 0, false, new Erasing(1.0, 0.99, 1.0, 1.0, 1.0));
        INDArray f = Minibatches.toDataSet(List.of(flat()), 1, d, new Random(1)).getFeatures();
        assertEquals(0, f.eq(0).castTo(org.nd4j.linalg.api.buffer.DataType.INT32).sumNumber().intValue());
        assertThrows(IllegalArgumentException.class, () -> new Erasing(1.2, 0.1, 0.2, 0.5, 2.0));
        assertThrows(IllegalArgumentException.class, () -> new Erasing(0.5, 0.3, 0.2, 0.5, 2.0));
    }

    @Test
    void refusesPixelsOfAnotherShape() {
        var d = Decoding.plain(1, 5, 5);
        var e = assertThrows(IllegalStateException.class, () -> Minibatches.toDataSet(List.of(image(0)), 1, d, null));
        assertTrue(e.getMessage().contains("expected 25 (1x5x5)"), e.getMessage());
    }

    private static boolean matches(INDArray f, int dy, int dx, boolean flip) {
        for (int c = 0; c < 2; c++) {
            for (int r = 0; r < 3; r++) {
                for (int x = 0; x < 4; x++) {
                    int sr = r + dy;
                    int sc = (flip ? 3 - x : x) + dx;
                    float expected = sr < 0 || sr >= 3 || sc < 0 || sc >= 4 ? 0f : (100 * c + 10 * sr + sc) / 255f;
                    if (Math.abs(at(f, c, r, x) - expected) > 1e-6) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** n examples of distinct classes 0..n-1, each image filled with its own random bytes. */
    private static List<Example> distinct(int n, long seed) {
        Random r = new Random(seed);
        List<Example> out = new java.util.ArrayList<>();
        for (int k = 0; k < n; k++) {
            byte[] p = new byte[2 * 3 * 4];
            r.nextBytes(p);
            out.add(new Example(k, p));
        }
        return out;
    }

    @Test
    void mixupMixesImagesAndLabelsWithOnePartnerPermutationAndOneWeight() {
        var d = Decoding.plain(2, 3, 4);
        int n = 8;
        double lambdaSum = 0;
        int draws = 0;
        for (long seed = 0; seed < 300; seed++) {
            List<Example> batch = distinct(n, seed);
            DataSet plain = Minibatches.toDataSet(batch, n, d, null);
            DataSet mixed = Minibatches.mixup(plain.copy(), 1.0, new Random(seed));
            INDArray y = mixed.getLabels();
            // with distinct classes, row i = λ e_i + (1-λ) e_π(i); read λ and π(i) back from the labels
            double lambda = Double.NaN;
            boolean[] partnerSeen = new boolean[n];
            for (int i = 0; i < n; i++) {
                assertEquals(1.0, y.getRow(i).sumNumber().doubleValue(), 1e-6, "row " + i + " sums to 1");
                int partner = i;
                for (int k = 0; k < n; k++) {
                    if (k != i && y.getFloat(i, k) > 0) {
                        partner = k;
                    }
                }
                assertTrue(!partnerSeen[partner], "partners form a permutation");
                partnerSeen[partner] = true;
                if (partner != i) {
                    double l = y.getFloat(i, i);
                    if (Double.isNaN(lambda)) {
                        lambda = l;
                    }
                    assertEquals(lambda, l, 1e-6, "one λ per minibatch");
                    INDArray expected = plain.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                            .mul(l).addi(plain.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(partner))
                                    .mul(1 - l));
                    assertEquals(0.0, mixed.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                            .sub(expected).amaxNumber().doubleValue(), 1e-5, "image " + i);
                }
            }
            if (!Double.isNaN(lambda)) {
                lambdaSum += lambda;
                draws++;
            }
        }
        // α = 1: λ ~ Beta(1, 1) = uniform on [0, 1], mean 1/2 (standard error about 0.017 for 300 draws)
        assertTrue(draws > 290);
        assertEquals(0.5, lambdaSum / draws, 0.07, "mean λ over " + draws + " minibatches");
    }

    @Test
    void labelSmoothingAndOutliersShapeTheTrainingMinibatch() {
        var d = Decoding.plain(2, 3, 4);
        List<Example> known = distinct(5, 1);
        List<Example> outliers = distinct(3, 2);
        var it = new Minibatches.BatchIterator(known.iterator(), outliers, 4, 10, d,
                new Minibatches.Training(0, 0.1, 2), new Random(3));
        DataSet first = it.next();
        assertEquals(6, first.numExamples(), "4 known + 2 outliers");
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 10; k++) {
                assertEquals(k == i ? 0.9f + 0.01f : 0.01f, first.getLabels().getFloat(i, k), 1e-6);
            }
        }
        assertEquals(0.0, first.getLabels().getRow(4).sumNumber().doubleValue(), 0.0, "outlier rows are all zero");
        assertEquals(0.0, first.getLabels().getRow(5).sumNumber().doubleValue(), 0.0);
        DataSet outlierImages = Minibatches.toDataSet(outliers, 10, d, null);
        assertEquals(outlierImages.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)), first.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(4)));
        DataSet second = it.next();
        assertEquals(3, second.numExamples(), "the last known example + 2 outliers");
        // the outliers cycle: the third, then the first again
        assertEquals(outlierImages.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(2)), second.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)));
        assertEquals(outlierImages.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)), second.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(2)));
    }
}
