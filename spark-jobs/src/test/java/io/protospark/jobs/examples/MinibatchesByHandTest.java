package io.protospark.jobs.examples;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding, crop-padding, flip and mixup on images of a few pixels whose every output value is worked out by hand
 * below. The random draws come from a scripted generator, so each test states which crop offset, flip and mixup
 * partner it asks for. Plain JVM code: no Spark session.
 */
class MinibatchesByHandTest {
    private static final float EPS = 1e-6f;

    /**
     * A generator that answers {@code nextInt(bound)} and {@code nextBoolean()} from scripts, in order, and
     * {@code nextInt()} (the mixup weight's seed) with a fixed value.
     */
    private static final class Scripted extends Random {
        private final int[] ints;
        private final boolean[] booleans;
        private int nextIntAt;
        private int nextBooleanAt;

        Scripted(int[] ints, boolean... booleans) {
            this.ints = ints;
            this.booleans = booleans;
        }

        @Override
        public int nextInt(int bound) {
            int v = ints[nextIntAt++];
            if (v < 0 || v >= bound) {
                throw new IllegalArgumentException("scripted " + v + " outside [0, " + bound + ")");
            }
            return v;
        }

        @Override
        public int nextInt() {
            return 42;
        }

        @Override
        public boolean nextBoolean() {
            return booleans[nextBooleanAt++];
        }

        boolean used() {
            return nextIntAt == ints.length && nextBooleanAt == booleans.length;
        }
    }

    /**
     * One channel, 3x3, rows {@code 10 20 30 / 40 50 60 / 70 80 90}.
     */
    private static Example grid(int label) {
        byte[] p = new byte[9];
        for (int i = 0; i < 9; i++) {
            p[i] = (byte) (10 * (i + 1));
        }
        return new Example(label, p);
    }

    /** The single image of a 1-channel minibatch as rows of raw byte values (output × 255). */
    private static float[][] bytes(DataSet ds, int example) {
        INDArray f = ds.getFeatures();
        int h = (int) f.size(2);
        int w = (int) f.size(3);
        float[][] out = new float[h][w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                out[r][c] = Math.round(f.getFloat(example, 0, r, c) * 255f * 1000f) / 1000f;
            }
        }
        return out;
    }

    private static void assertImage(float[][] expected, float[][] actual) {
        for (int r = 0; r < expected.length; r++) {
            assertArrayEquals(expected[r], actual[r], 1e-3f, "row " + r);
        }
    }

    @Test
    void decodesUnsignedBytesChannelPlanesAndOneHotLabels() {
        // two channels of one row of two pixels: channel 0 = (0, 255), channel 1 = (128, 51); bytes are unsigned
        Example a = new Example(2, new byte[]{0, (byte) 255, (byte) 128, 51});
        Example b = new Example(0, new byte[]{(byte) 200, 1, 2, 3});
        DataSet ds = Minibatches.toDataSet(List.of(a, b), 3, Decoding.plain(2, 1, 2), null);

        assertArrayEquals(new long[]{2, 2, 1, 2}, ds.getFeatures().shape(), "NCHW");
        assertEquals(0f, ds.getFeatures().getFloat(0, 0, 0, 0), EPS);
        assertEquals(1f, ds.getFeatures().getFloat(0, 0, 0, 1), EPS);
        assertEquals(128 / 255f, ds.getFeatures().getFloat(0, 1, 0, 0), EPS);
        assertEquals(0.2f, ds.getFeatures().getFloat(0, 1, 0, 1), EPS);
        assertEquals(200 / 255f, ds.getFeatures().getFloat(1, 0, 0, 0), EPS);
        assertEquals(3 / 255f, ds.getFeatures().getFloat(1, 1, 0, 1), EPS);
        assertEquals(Nd4j.createFromArray(new float[][]{{0, 0, 1}, {1, 0, 0}}), ds.getLabels());
    }

    @Test
    void normalisesEachChannelWithItsMeanAndStd() {
        Example a = new Example(1, new byte[]{0, (byte) 255, (byte) 128, 51});
        // channel 0: (x - 0.5) / 0.5, channel 1: (x - 0.2) / 0.4
        Decoding d = new Decoding(2, 1, 2, new float[]{0.5f, 0.2f}, new float[]{0.5f, 0.4f}, 0, false);
        INDArray f = Minibatches.toDataSet(List.of(a), 2, d, null).getFeatures();
        assertEquals(-1f, f.getFloat(0, 0, 0, 0), EPS);
        assertEquals(1f, f.getFloat(0, 0, 0, 1), EPS);
        assertEquals((128 / 255f - 0.2f) / 0.4f, f.getFloat(0, 1, 0, 0), EPS);
        assertEquals(0f, f.getFloat(0, 1, 0, 1), EPS);
    }

    @Test
    void cropOfThePaddedImageShiftsDownLeftAndUpRight() {
        Decoding d = new Decoding(1, 3, 3, new float[0], new float[0], 1, false);
        // padding 1: each offset is nextInt(3) - 1. Example 0: dy = +1, dx = -1, so out(r, c) = in(r + 1, c - 1);
        // example 1: dy = -1, dx = +1, so out(r, c) = in(r - 1, c + 1); outside the image is black
        Scripted draws = new Scripted(new int[]{2, 0, 0, 2});
        DataSet ds = Minibatches.toDataSet(List.of(grid(0), grid(1)), 2, d, draws);
        assertImage(new float[][]{{0, 40, 50}, {0, 70, 80}, {0, 0, 0}}, bytes(ds, 0));
        assertImage(new float[][]{{0, 0, 0}, {20, 30, 0}, {50, 60, 0}}, bytes(ds, 1));
        assertTrue(draws.used(), "two offsets per example, no flip draw without flip");
    }

    @Test
    void noCropOffsetGivesTheImageAndPaddingIsNormalisedBlack() {
        Decoding d = new Decoding(1, 3, 3, new float[]{0.5f}, new float[]{0.25f}, 1, false);
        // dy = 0, dx = +1: out(r, c) = in(r, c + 1); the padded column is (0 - 0.5) / 0.25 = -2
        INDArray f = Minibatches.toDataSet(List.of(grid(0)), 1, d, new Scripted(new int[]{1, 2})).getFeatures();
        assertEquals((20 / 255f - 0.5f) / 0.25f, f.getFloat(0, 0, 0, 0), EPS);
        assertEquals((90 / 255f - 0.5f) / 0.25f, f.getFloat(0, 0, 2, 1), EPS);
        assertEquals(-2f, f.getFloat(0, 0, 0, 2), EPS);
        assertEquals(-2f, f.getFloat(0, 0, 2, 2), EPS);
    }

    @Test
    void flipMirrorsEachRowOnlyWhenDrawn() {
        Decoding d = new Decoding(1, 3, 3, new float[0], new float[0], 0, true);
        // no padding: no offset draws, one flip draw per example
        Scripted draws = new Scripted(new int[0], true, false);
        DataSet ds = Minibatches.toDataSet(List.of(grid(0), grid(0)), 1, d, draws);
        assertImage(new float[][]{{30, 20, 10}, {60, 50, 40}, {90, 80, 70}}, bytes(ds, 0));
        assertImage(new float[][]{{10, 20, 30}, {40, 50, 60}, {70, 80, 90}}, bytes(ds, 1));
        assertTrue(draws.used(), "one flip draw per example");
    }

    @Test
    void cropOffsetIsTakenInTheFlippedImage() {
        Decoding d = new Decoding(1, 3, 3, new float[0], new float[0], 1, true);
        // dy = 0, dx = +1, flipped: out(r, c) = in(r, (2 - c) + 1), black where 3 - c > 2
        DataSet ds = Minibatches.toDataSet(List.of(grid(0)), 1, d, new Scripted(new int[]{1, 2}, true));
        assertImage(new float[][]{{0, 30, 20}, {0, 60, 50}, {0, 90, 80}}, bytes(ds, 0));
    }

    @Test
    void evaluationDecodingDrawsNothing() {
        Decoding d = new Decoding(1, 3, 3, new float[0], new float[0], 1, true).withoutAugmentation();
        // an empty script: any draw would fail
        DataSet ds = Minibatches.toDataSet(List.of(grid(0)), 1, d, new Scripted(new int[0]));
        assertImage(new float[][]{{10, 20, 30}, {40, 50, 60}, {70, 80, 90}}, bytes(ds, 0));
    }

    @Test
    void batchIteratorAugmentsEveryTrainingExampleInTurn() {
        Decoding d = new Decoding(1, 3, 3, new float[0], new float[0], 1, true);
        // example 0: dy = +1, dx = 0, no flip -> out(r, c) = in(r + 1, c); example 1: no shift, flipped
        Scripted draws = new Scripted(new int[]{2, 1, 1, 1}, false, true);
        var it = new Minibatches.BatchIterator(List.of(grid(0), grid(1)).iterator(), null, 2, 2, d,
                Minibatches.Training.NONE, draws);
        DataSet ds = it.next();
        assertFalse(it.hasNext());
        assertImage(new float[][]{{40, 50, 60}, {70, 80, 90}, {0, 0, 0}}, bytes(ds, 0));
        assertImage(new float[][]{{30, 20, 10}, {60, 50, 40}, {90, 80, 70}}, bytes(ds, 1));
        assertEquals(Nd4j.createFromArray(new float[][]{{1, 0}, {0, 1}}), ds.getLabels());
    }

    /** Two examples of one channel, one row of two pixels: x0 = (0, 1) of class 0, x1 = (1, 0.2) of class 1. */
    private static DataSet pair() {
        return Minibatches.toDataSet(List.of(new Example(0, new byte[]{0, (byte) 255}),
                new Example(1, new byte[]{(byte) 255, 51})), 2, Decoding.plain(1, 1, 2), null);
    }

    @Test
    void mixWithWeightAQuarterAndSwappedPartners() {
        // λ = 0.25, π = (1, 0): row 0 = 0.25·x0 + 0.75·x1 = (0.75, 0.4), row 1 = 0.25·x1 + 0.75·x0 = (0.25, 0.8);
        // labels 0.25·e0 + 0.75·e1 and 0.25·e1 + 0.75·e0
        DataSet mixed = Minibatches.mix(pair(), 0.25, new int[]{1, 0});
        INDArray x = mixed.getFeatures();
        assertEquals(0.75f, x.getFloat(0, 0, 0, 0), EPS);
        assertEquals(0.4f, x.getFloat(0, 0, 0, 1), EPS);
        assertEquals(0.25f, x.getFloat(1, 0, 0, 0), EPS);
        assertEquals(0.8f, x.getFloat(1, 0, 0, 1), EPS);
        assertEquals(0.0, Nd4j.createFromArray(new float[][]{{0.25f, 0.75f}, {0.75f, 0.25f}})
                .sub(mixed.getLabels()).amaxNumber().doubleValue(), EPS);
    }

    @Test
    void mixupDrawsOneWeightThenAPermutationOfTheMinibatch() {
        // n = 2: the permutation is one draw j = nextInt(2); j = 0 swaps the pair, j = 1 keeps it. The weight λ
        // (Beta(α, α) from the seed nextInt()) is read back from the label rows, which are λ·e_i + (1 − λ)·e_π(i)
        DataSet swapped = Minibatches.mixup(pair(), 0.4, new Scripted(new int[]{0}));
        double lambda = swapped.getLabels().getDouble(0, 0);
        assertEquals(1 - lambda, swapped.getLabels().getDouble(0, 1), EPS);
        assertEquals(lambda, swapped.getLabels().getDouble(1, 1), EPS);
        // row 0 = λ·(0, 1) + (1 − λ)·(1, 0.2), row 1 = λ·(1, 0.2) + (1 − λ)·(0, 1)
        INDArray x = swapped.getFeatures();
        assertEquals(1 - lambda, x.getDouble(0, 0, 0, 0), 1e-5);
        assertEquals(lambda + 0.2 * (1 - lambda), x.getDouble(0, 0, 0, 1), 1e-5);
        assertEquals(lambda, x.getDouble(1, 0, 0, 0), 1e-5);
        assertEquals(0.2 * lambda + (1 - lambda), x.getDouble(1, 0, 0, 1), 1e-5);
        assertEquals(lambda, Minibatches.mixup(pair(), 0.4, new Scripted(new int[]{0})).getLabels().getDouble(0, 0),
                0.0, "the same seed gives the same weight");

        // each example mixed with itself: the minibatch is unchanged, whatever λ
        DataSet kept = Minibatches.mixup(pair(), 0.4, new Scripted(new int[]{1}));
        assertEquals(0.0, pair().getFeatures().sub(kept.getFeatures()).amaxNumber().doubleValue(), EPS);
        assertEquals(0.0, pair().getLabels().sub(kept.getLabels()).amaxNumber().doubleValue(), EPS);
    }

    @Test
    void batchIteratorMixesAfterAugmenting() {
        // Decoding without augmentation, mixup α = 1: the iterator draws the weight and then the partner j = 0
        var it = new Minibatches.BatchIterator(List.of(new Example(0, new byte[]{0, (byte) 255}),
                new Example(1, new byte[]{(byte) 255, 51})).iterator(), null, 2, 2, Decoding.plain(1, 1, 2),
                new Minibatches.Training(1.0, 0, 0), new Scripted(new int[]{0}));
        DataSet ds = it.next();
        double lambda = ds.getLabels().getDouble(0, 0);
        assertEquals(0.0, Minibatches.mix(pair(), lambda, new int[]{1, 0}).getFeatures().sub(ds.getFeatures())
                .amaxNumber().doubleValue(), EPS);
    }
}
