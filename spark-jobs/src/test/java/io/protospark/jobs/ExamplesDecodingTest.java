package io.protospark.jobs;

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
    private static Examples.Example image(int label) {
        byte[] p = new byte[2 * 3 * 4];
        for (int c = 0; c < 2; c++) {
            for (int r = 0; r < 3; r++) {
                for (int x = 0; x < 4; x++) {
                    p[c * 12 + r * 4 + x] = (byte) (100 * c + 10 * r + x);
                }
            }
        }
        return new Examples.Example(label, p);
    }

    private static float at(INDArray f, int c, int r, int x) {
        return f.getFloat(0, c, r, x);
    }

    @Test
    void normalisesPerChannel() {
        var d = new Examples.Decoding(2, 3, 4, new float[]{0.1f, 0.5f}, new float[]{0.5f, 0.25f}, 0, false);
        DataSet ds = Examples.toDataSet(List.of(image(1)), 3, d, null);
        assertEquals((23 / 255f - 0.1f) / 0.5f, at(ds.getFeatures(), 0, 2, 3), 1e-6);
        assertEquals((112 / 255f - 0.5f) / 0.25f, at(ds.getFeatures(), 1, 1, 2), 1e-6);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[]{1, 2, 3, 4}, ds.getFeatures().shape(), "NCHW");
        assertEquals(1f, ds.getLabels().getFloat(0, 1));
        assertEquals(1f, ds.getLabels().sumNumber().floatValue());
    }

    @Test
    void cropShiftsTheImageAndPadsWithBlack() {
        var d = new Examples.Decoding(2, 3, 4, new float[0], new float[0], 1, false);
        boolean shifted = false;
        Random rnd = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            INDArray f = Examples.toDataSet(List.of(image(0)), 1, d, rnd).getFeatures();
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
        var d = new Examples.Decoding(2, 3, 4, new float[0], new float[0], 0, true);
        Random rnd = new Random(11);
        int flipped = 0;
        for (int trial = 0; trial < 40; trial++) {
            INDArray f = Examples.toDataSet(List.of(image(0)), 1, d, rnd).getFeatures();
            boolean plain = matches(f, 0, 0, false);
            boolean mirror = matches(f, 0, 0, true);
            assertNotEquals(plain, mirror, "neither the image nor its mirror");
            flipped += mirror ? 1 : 0;
        }
        assertTrue(flipped > 5 && flipped < 35, "flip probability off: " + flipped + " of 40");
        INDArray eval = Examples.toDataSet(List.of(image(0)), 1, d.withoutAugmentation(), rnd).getFeatures();
        assertTrue(matches(eval, 0, 0, false));
    }

    @Test
    void refusesPixelsOfAnotherShape() {
        var d = Examples.Decoding.plain(1, 5, 5);
        var e = assertThrows(IllegalStateException.class, () -> Examples.toDataSet(List.of(image(0)), 1, d, null));
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
}
