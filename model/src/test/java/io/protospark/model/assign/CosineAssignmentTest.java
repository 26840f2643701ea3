package io.protospark.model.assign;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sparse cosine solver equals the dense solver and proves it, on random and clustered data. */
class CosineAssignmentTest {

    static float[] gaussian(int n, int d, Random rnd) {
        float[] m = new float[n * d];
        for (int x = 0; x < m.length; x++) {
            m[x] = (float) rnd.nextGaussian();
        }
        return m;
    }

    /** Memories = prototypes under a hidden permutation plus noise of the given size. */
    static float[] permutedWithNoise(float[] p, int n, int d, int[] pi, double noise, Random rnd) {
        float[] q = new float[n * d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int t = 0; t < d; t++) {
                norm += p[pi[i] * d + t] * p[pi[i] * d + t];
            }
            for (int t = 0; t < d; t++) {
                q[i * d + t] = (float) (p[pi[i] * d + t] / Math.sqrt(norm) + noise * rnd.nextGaussian() / Math.sqrt(d));
            }
        }
        return q;
    }

    private static void assertMatchesDense(float[] q, float[] p, int n, int d, int k) {
        assertMatchesDense(q, p, n, d, CosineAssignment.Options.defaults().withK(k));
    }

    private static CosineAssignment.Result assertMatchesDense(float[] q, float[] p, int n, int d,
                                                              CosineAssignment.Options options) {
        CosineAssignment.Result r = CosineAssignment.solve(q, p, n, d, options.withDenseGapUpTo(n));
        LinearAssignmentTest.assertPermutation(r.assignment().columnOfRow(), n);
        assertTrue(r.provenOptimal(), "not proven: " + r);
        assertEquals(0, r.gap(), 1e-6 * n, "gap to the dense optimum: " + r);
        double[] dense = CosineAssignment.cosineMatrix(q, p, n, d);
        double own = 0;
        for (int i = 0; i < n; i++) {
            own += dense[i * n + r.assignment().columnOf(i)];
        }
        assertEquals(own, r.objective(), 1e-7 * n); // the prefilter computes candidate cosines in double
        assertEquals(LinearAssignment.solveMax(dense, n).objective(), r.objective(), 1e-6 * n);
        return r;
    }

    @Test
    void prefixPrefilterStaysExact() {
        Random rnd = new Random(6);
        int n = 1200;
        int d = 64;
        float[] p = gaussian(n, d, rnd);
        int[] pi = LinearAssignmentTest.shuffled(n, rnd);
        // classes near their prototypes: the half-dimension bound proves almost every row at once
        CosineAssignment.Result near = assertMatchesDense(permutedWithNoise(p, n, d, pi, 0.3, rnd), p, n, d,
                CosineAssignment.Options.defaults().withPrefixDims(d / 2));
        assertArrayEquals(pi, near.assignment().columnOfRow());
        assertTrue(near.fullRows() < n / 10, "full rows " + near.fullRows());
        // unrelated classes: the bound proves little, full rows take over, the answer is still the optimum
        assertMatchesDense(gaussian(n, d, rnd), p, n, d, CosineAssignment.Options.defaults().withK(8)
                .withPrefixDims(d / 4));
    }

    @Test
    void candidateOrderingMatchesAStableBoxedSort() {
        Random rnd = new Random(44);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(40);
            float[] keys = new float[n];
            int[] cols = new int[n];
            for (int x = 0; x < n; x++) {
                keys[x] = trial % 2 == 0 ? rnd.nextInt(5) / 4f : (float) rnd.nextGaussian(); // ties in half the trials
                cols[x] = rnd.nextInt(1000);
            }
            if (n > 2) {
                keys[0] = -0.0f;
                keys[1] = 0.0f;
            }
            float[] k0 = keys.clone();
            Integer[] order = new Integer[n];
            for (int x = 0; x < n; x++) {
                order[x] = x;
            }
            java.util.Arrays.sort(order, (x, y) -> Float.compare(k0[y], k0[x]));
            int[] c0 = cols.clone();
            CandidateGraph.sortDescending(keys, cols, n);
            for (int x = 0; x < n; x++) {
                assertEquals(Float.floatToIntBits(k0[order[x]]), Float.floatToIntBits(keys[x]), "trial " + trial);
                assertEquals(c0[order[x]], cols[x], "trial " + trial);
            }
        }
    }

    @Test
    void theDefaultPrefixIsChosenFromKAndD() {
        // half of d (a multiple of 16) once K^2 d reaches 2^38 multiply-adds and d >= 128; off below
        assertEquals(256, CosineAssignment.autoPrefixDims(93_000, 512));
        assertEquals(256, CosineAssignment.autoPrefixDims(24_000, 512));
        assertEquals(0, CosineAssignment.autoPrefixDims(23_000, 512));
        assertEquals(64, CosineAssignment.autoPrefixDims(100_000, 128));
        assertEquals(0, CosineAssignment.autoPrefixDims(100_000, 127));
        assertEquals(96, CosineAssignment.autoPrefixDims(60_000, 200));
        assertEquals(0, CosineAssignment.autoPrefixDims(1_000, 4096));
        assertEquals(CosineAssignment.AUTO_PREFIX, CosineAssignment.Options.defaults().prefixDims());
        // what a solve uses: auto resolves; explicit values pass; d or more, or 0, means the full gemm
        assertEquals(256, CosineAssignment.prefixDimsFor(93_000, 512, CosineAssignment.AUTO_PREFIX));
        assertEquals(0, CosineAssignment.prefixDimsFor(5_000, 512, CosineAssignment.AUTO_PREFIX));
        assertEquals(100, CosineAssignment.prefixDimsFor(5_000, 512, 100));
        assertEquals(0, CosineAssignment.prefixDimsFor(5_000, 512, 512));
        assertEquals(0, CosineAssignment.prefixDimsFor(5_000, 512, 0));
        assertThrows(IllegalArgumentException.class, () -> CosineAssignment.Options.defaults().withPrefixDims(-2));
    }

    @Test
    void randomDataEqualsDense() {
        Random rnd = new Random(1);
        int n = 1500;
        int d = 32;
        assertMatchesDense(gaussian(n, d, rnd), gaussian(n, d, rnd), n, d, 8);
    }

    @Test
    void clusteredDataEqualsDense() {
        Random rnd = new Random(2);
        int n = 2000;
        int d = 16;
        // prototypes in 20 tight clusters: many near-ties between candidates of the same cluster
        float[] centres = gaussian(20, d, rnd);
        float[] p = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < d; t++) {
                p[i * d + t] = centres[(i % 20) * d + t] + (float) (0.1 * rnd.nextGaussian());
            }
        }
        int[] pi = LinearAssignmentTest.shuffled(n, rnd);
        assertMatchesDense(permutedWithNoise(p, n, d, pi, 0.3, rnd), p, n, d, 4);
    }

    @Test
    void tinyKWidensUntilAMatchingExists() {
        Random rnd = new Random(3);
        int n = 300;
        int d = 3; // low dimension: candidates overlap heavily, k = 1 has no complete matching
        assertMatchesDense(gaussian(n, d, rnd), gaussian(n, d, rnd), n, d, 1);
    }

    @Test
    void recoversTheHiddenPermutation() {
        Random rnd = new Random(4);
        int n = 3000;
        int d = 64;
        float[] p = gaussian(n, d, rnd);
        int[] pi = LinearAssignmentTest.shuffled(n, rnd);
        CosineAssignment.Result r = CosineAssignment.solve(permutedWithNoise(p, n, d, pi, 0.2, rnd), p, n, d,
                CosineAssignment.Options.defaults());
        assertArrayEquals(pi, r.assignment().columnOfRow());
        assertTrue(r.provenOptimal());
        assertEquals(1, r.rounds());
    }

    @Test
    void refusesZeroRowsAndNan() {
        float[] q = new float[6];
        q[0] = 1;
        q[3] = 1;
        float[] p = {1, 0, 0, 0, 1, 0};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CosineAssignment.solve(p, new float[] {1, 0, 0, 0, 0, 0}, 2, 3, CosineAssignment.Options.defaults()));
        assertTrue(e.getMessage().contains("prototypes row 1 is all zeros"), e.getMessage());
        q[4] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class,
                () -> CosineAssignment.solve(q, p, 2, 3, CosineAssignment.Options.defaults()));
        assertTrue(e.getMessage().contains("class memories row 1, column 1 is NaN"), e.getMessage());
    }
}
