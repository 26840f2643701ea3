package io.protospark.model.assign;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static io.protospark.model.assign.LinearAssignmentTest.assertCertified;
import static io.protospark.model.assign.LinearAssignmentTest.hungarianMin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The solver on every matrix structure of the benchmark grid ({@code bench/gen_assign.py}): uniform costs, cosines of
 * class memories near their prototypes, noisy and low-rank cosines, cosines with no hidden permutation, and integers
 * with many ties. Each is solved on the sparse route and by dense LAPJV and checked against the independent Hungarian
 * method and by its duals; the sparse route must prove its answer without widening rows to every column (the structures
 * where a column is no row's near-best, or every row's first equal columns are the same, once made it fall back), and
 * only the near-permutation goes to LAPJV straight after the column minima.
 */
class MatrixStructuresTest {
    private static final int N = LinearAssignment.SPARSE_FROM + 40;

    /** An n×n matrix of the named structure and whether it is maximised (the cosine kinds, as DL2PA runs them). */
    static double[] matrix(String kind, int n, Random rnd) {
        return switch (kind) {
            case "uniform" -> fill(n, (i, j) -> rnd.nextDouble());
            case "near-perm" -> cosines(n, 64, 0.3, true, rnd);
            case "cosine-n4-d64" -> cosines(n, 64, 4.0, true, rnd);
            case "cosine-n4-d16" -> cosines(n, 16, 4.0, true, rnd);
            case "random-d16" -> cosines(n, 16, 0.0, false, rnd);
            case "int100" -> fill(n, (i, j) -> rnd.nextInt(100));
            case "int4" -> fill(n, (i, j) -> rnd.nextInt(4));
            case "int-n" -> fill(n, (i, j) -> rnd.nextInt(n));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    static boolean maximized(String kind) {
        return kind.contains("perm") || kind.startsWith("cosine") || kind.startsWith("random");
    }

    private interface Entry {
        double at(int i, int j);
    }

    private static double[] fill(int n, Entry e) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i * n + j] = e.at(i, j);
            }
        }
        return c;
    }

    /**
     * cos(q_i, p_j) for n random unit prototypes p in d dimensions and memories q: the prototypes under a hidden
     * permutation plus Gaussian noise of norm about {@code noise} ({@code permuted}), or independent random unit
     * vectors.
     */
    private static double[] cosines(int n, int d, double noise, boolean permuted, Random rnd) {
        double[][] p = new double[n][d];
        double[][] q = new double[n][d];
        int[] perm = LinearAssignmentTest.shuffled(n, rnd);
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < d; t++) {
                p[i][t] = rnd.nextGaussian();
            }
            SparseFirstTest.normalise(p[i]);
        }
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < d; t++) {
                q[i][t] = permuted ? p[perm[i]][t] + noise * rnd.nextGaussian() / Math.sqrt(d) : rnd.nextGaussian();
            }
            SparseFirstTest.normalise(q[i]);
        }
        return fill(n, (i, j) -> {
            double s = 0;
            for (int t = 0; t < d; t++) {
                s += q[i][t] * p[j][t];
            }
            return s;
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "near-perm", "cosine-n4-d64", "cosine-n4-d16", "random-d16", "int100", "int4",
                            "int-n"})
    void bothRoutesAreExactAndTheSparseOneNeedsNoFallback(String kind) {
        Random rnd = new Random(kind.hashCode());
        double[] c = matrix(kind, N, rnd);
        boolean max = maximized(kind);
        double[] minimised = c.clone();
        if (max) {
            for (int x = 0; x < minimised.length; x++) {
                minimised[x] = -minimised[x];
            }
        }
        double reference = hungarianMin(minimised, N) * (max ? -1 : 1);
        double tol = 1e-9 * Math.max(1, Math.abs(reference));

        Assignment sparse = LinearAssignment.solve(c, N, N, max, true);
        Assignment dense = LinearAssignment.solve(c, N, N, max, false);
        assertEquals(reference, sparse.objective(), tol, kind + ", sparse route");
        assertEquals(reference, dense.objective(), tol, kind + ", dense LAPJV");
        assertCertified(c, N, N, sparse, 1e-9);
        assertCertified(c, N, N, dense, 1e-9);

        double sign = max ? -1.0 : 1.0;
        SparseFirst sf = SparseFirst.scan(c, N, sign, 12, 1);
        assertTrue(sf.certify(sign, new int[N], new double[N]), kind + ": the sparse route fell back to LAPJV");
        assertEquals(0, sf.stuckEvents, kind + ": rows had to be widened to every column");
        // only the near-permutation is handed to LAPJV after the column minima (the answer above came that way)
        assertEquals(kind.equals("near-perm"), SparseFirst.scan(c, N, sign, 12, 1, true).nearPermutation(), kind);
    }
}
