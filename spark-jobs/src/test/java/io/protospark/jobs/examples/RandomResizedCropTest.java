package io.protospark.jobs.examples;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crop box against torchvision's {@code RandomResizedCrop.get_params} worked by hand on fixed draws: an accepted
 * first attempt, rejected attempts before an accepted one, the three fallbacks, and Python's half-to-even rounding.
 */
class RandomResizedCropTest {
    /** Hands out scripted uniforms and integers, and records the ranges asked for. */
    static final class Scripted implements RandomResizedCrop.Draws {
        final Deque<Double> uniforms = new ArrayDeque<>();
        final Deque<Integer> ints = new ArrayDeque<>();
        final List<double[]> uniformRanges = new ArrayList<>();
        final List<Integer> bounds = new ArrayList<>();

        Scripted uniforms(double... v) {
            for (double d : v) {
                uniforms.add(d);
            }
            return this;
        }

        Scripted ints(int... v) {
            for (int i : v) {
                ints.add(i);
            }
            return this;
        }

        @Override
        public double uniform(double lo, double hi) {
            uniformRanges.add(new double[]{lo, hi});
            return uniforms.remove();
        }

        @Override
        public int below(int bound) {
            bounds.add(bound);
            int v = ints.remove();
            assertTrue(v >= 0 && v < bound, v + " outside [0, " + bound + ")");
            return v;
        }
    }

    private static final RandomResizedCrop RRC = RandomResizedCrop.DEFAULT;

    @Test
    void firstAttemptAccepted() {
        // 500 x 375 (w x h), area 187,500; scale 0.5 -> target 93,750; ratio 1.2:
        // w = round(sqrt(93,750 * 1.2)) = round(335.41) = 335, h = round(sqrt(93,750 / 1.2)) = round(279.51) = 280;
        // top ~ randint(0, 375 - 280 + 1 = 96), left ~ randint(0, 500 - 335 + 1 = 166)
        Scripted d = new Scripted().uniforms(0.5, Math.log(1.2)).ints(17, 100);
        assertArrayEquals(new int[]{17, 100, 280, 335}, RRC.box(375, 500, d));
        assertEquals(List.of(96, 166), d.bounds);
        // the uniforms are drawn over scale (0.08, 1) and log-ratio (ln 3/4, ln 4/3)
        assertArrayEquals(new double[]{0.08, 1.0}, d.uniformRanges.get(0), 0);
        assertArrayEquals(new double[]{Math.log(0.75), Math.log(4.0 / 3)}, d.uniformRanges.get(1), 1e-15);
        assertTrue(d.uniforms.isEmpty() && d.ints.isEmpty());
    }

    @Test
    void rejectedAttemptsThenAccepted() {
        // 20 x 100 (w x h), area 2,000. Attempt 1: scale 0.9, ratio 1 -> w = h = round(42.43) = 42 > 20: rejected.
        // Attempt 2: scale 0.2, ratio 0.75 -> w = round(sqrt(300)) = 17, h = round(sqrt(533.3)) = 23: accepted,
        // top ~ randint(0, 78), left ~ randint(0, 4)
        Scripted d = new Scripted().uniforms(0.9, 0.0, 0.2, Math.log(0.75)).ints(77, 3);
        assertArrayEquals(new int[]{77, 3, 23, 17}, RRC.box(100, 20, d));
        assertEquals(List.of(78, 4), d.bounds);
        assertEquals(4, d.uniformRanges.size());
    }

    @Test
    void fallbackTallImageKeepsItsWidthAtTheSmallestRatio() {
        // 20 x 100: every attempt at scale 1, ratio 1 gives w = round(44.72) = 45 > 20. Ten attempts, then the
        // fallback: in_ratio 0.2 < 3/4 -> w = 20, h = round(20 / 0.75) = round(26.67) = 27, top (100 - 27) // 2 = 36
        Scripted d = new Scripted();
        for (int i = 0; i < 10; i++) {
            d.uniforms(1.0, 0.0);
        }
        assertArrayEquals(new int[]{36, 0, 27, 20}, RRC.box(100, 20, d));
        assertEquals(20, d.uniformRanges.size(), "ten attempts of two draws");
        assertTrue(d.bounds.isEmpty(), "the fallback draws no position");
    }

    @Test
    void fallbackWideImageKeepsItsHeightAtTheLargestRatio() {
        // 100 x 10: scale 1, ratio 1 gives h = round(31.62) = 32 > 10 ten times; in_ratio 10 > 4/3 ->
        // h = 10, w = round(10 * 4/3) = round(13.33) = 13, left (100 - 13) // 2 = 43
        Scripted d = new Scripted();
        for (int i = 0; i < 10; i++) {
            d.uniforms(1.0, 0.0);
        }
        assertArrayEquals(new int[]{0, 43, 10, 13}, RRC.box(10, 100, d));
    }

    @Test
    void fallbackWithinTheRatioRangeTakesTheWholeImage() {
        // 36 x 30 (ratio 1.2): scale 1, ratio 4/3 gives w = round(sqrt(1,440)) = round(37.95) = 38 > 36 ten times
        Scripted d = new Scripted();
        for (int i = 0; i < 10; i++) {
            d.uniforms(1.0, Math.log(4.0 / 3));
        }
        assertArrayEquals(new int[]{0, 0, 30, 36}, RRC.box(30, 36, d));
        assertArrayEquals(new int[]{0, 0, 30, 36}, RRC.fallback(30, 36));
    }

    @Test
    void roundsHalfToEvenAsPython() {
        // 10 x 10, scale 0.0625, ratio 1: w = h = round(2.5) = 2 in Python (Math.round would give 3)
        Scripted d = new Scripted().uniforms(0.0625, 0.0).ints(0, 8);
        assertArrayEquals(new int[]{0, 8, 2, 2}, RRC.box(10, 10, d));
        assertEquals(List.of(9, 9), d.bounds);
        // and round(3.5) = 4: 7 x 7, scale 0.25 -> target 12.25, w = h = 4, positions in [0, 4)
        Scripted e = new Scripted().uniforms(0.25, 0.0).ints(2, 3);
        assertArrayEquals(new int[]{2, 3, 4, 4}, RRC.box(7, 7, e));
    }

    @Test
    void boxesFromARandomGeneratorStayInsideAndWithinTheRanges() {
        java.util.Random r = new java.util.Random(3);
        int fallbacks = 0;
        for (int n = 0; n < 2000; n++) {
            int h = 1 + r.nextInt(400);
            int w = 1 + r.nextInt(400);
            int[] b = RRC.box(h, w, RandomResizedCrop.of(r));
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[2] >= 1 && b[3] >= 1 && b[0] + b[2] <= h && b[1] + b[3] <= w,
                    java.util.Arrays.toString(b) + " in " + h + "x" + w);
            if (java.util.Arrays.equals(b, RRC.fallback(h, w))) {
                fallbacks++;
            }
        }
        assertTrue(fallbacks < 2000, "some boxes are drawn");
    }

    @Test
    void refusesRangesOutsideTheirDomain() {
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0, 1, 0.75, 4.0 / 3));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0.08, 1.5, 0.75, 4.0 / 3));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0.08, 1, 2, 1));
    }
}
