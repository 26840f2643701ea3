package io.protospark.model.assign;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.protospark.model.assign.LinearAssignmentTest.assertCertified;
import static io.protospark.model.assign.LinearAssignmentTest.hungarianMin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sparse first try of {@link LinearAssignment}: scan, bound proof, row scans, re-solves, and its refusals. */
class SparseFirstTest {

    /** Runs scan + certify with k candidates; returns the certified objective of {@code c} or NaN on fallback. */
    private static double certified(double[] c, int n, boolean max, int k, SparseFirst[] out) {
        double sign = max ? -1.0 : 1.0;
        SparseFirst sf = SparseFirst.scan(c, n, sign, k);
        out[0] = sf;
        int[] rowsol = new int[n];
        double[] v = new double[n];
        if (!sf.certify(sign, rowsol, v)) {
            return Double.NaN;
        }
        LinearAssignmentTest.assertPermutation(rowsol, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += c[i * n + rowsol[i]];
        }
        return sum;
    }

    @Test
    void fewCandidatesForceRowScansAndResolvesAndStillReachTheOptimum() {
        Random rnd = new Random(23);
        int scannedRuns = 0;
        int multiRoundRuns = 0;
        int certifiedRuns = 0;
        SparseFirst[] sf = new SparseFirst[1];
        for (int trial = 0; trial < 60; trial++) {
            int n = 20 + rnd.nextInt(60);
            double[] c = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    c[i * n + j] = switch (trial % 3) {
                        case 0 -> rnd.nextDouble();
                        case 1 -> rnd.nextInt(6); // ties
                        default -> (i % 7 + 1) * (j % 5 + 1) + 0.01 * rnd.nextDouble(); // near rank one
                    };
                }
            }
            int k = 1 + trial % 3;
            boolean max = trial % 2 == 1;
            double got = certified(c, n, max, k, sf);
            if (Double.isNaN(got)) {
                continue; // fell back: LinearAssignment then runs dense LAPJV (covered below)
            }
            certifiedRuns++;
            double[] minCost = c;
            if (max) {
                minCost = Arrays.stream(c).map(x -> -x).toArray();
            }
            double best = max ? -hungarianMin(minCost, n) : hungarianMin(minCost, n);
            assertEquals(best, got, 1e-9 * Math.max(1, Math.abs(best)), "trial " + trial);
            if (sf[0].rowsScanned > 0) {
                scannedRuns++;
            }
            if (sf[0].rounds > 1) {
                multiRoundRuns++;
            }
        }
        // the point of the test: the bound often fails with 1-3 candidates, so rows are read and re-solved
        assertTrue(certifiedRuns >= 20, "certified " + certifiedRuns + ", row scans " + scannedRuns + ", multi-round " + multiRoundRuns);
        assertTrue(scannedRuns >= 10, "runs with row scans " + scannedRuns);
        assertTrue(multiRoundRuns >= 5, "runs with more than one round " + multiRoundRuns);
    }

    @Test
    void aMatrixWhoseBestPairsHideOutsideTheCandidatesGetsTheOptimumThroughLinearAssignment() {
        // every row prefers column 0 by far; the optimum must spread rows using their second choices, which the
        // one-candidate graph lacks: stuck rows are widened, bounds fail, rows are scanned, and the result is exact
        int n = 60;
        Random rnd = new Random(5);
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i * n + j] = j == 0 ? -100 - rnd.nextDouble() : rnd.nextDouble();
            }
        }
        SparseFirst[] sf = new SparseFirst[1];
        double got = certified(c, n, false, 1, sf);
        double best = hungarianMin(c, n);
        if (!Double.isNaN(got)) {
            assertEquals(best, got, 1e-9 * Math.abs(best));
        }
        assertTrue(sf[0].stuckEvents > 0 || sf[0].rowsScanned > 0, "the hard path was not taken");
        Assignment a = LinearAssignment.solve(c, n, n, false, true);
        assertEquals(best, a.objective(), 1e-9 * Math.abs(best));
        assertCertified(c, n, n, a, 1e-9 * Math.abs(best));
    }

    @Test
    void largeRandomAndStructuredMatricesMatchTheDenseSolver() {
        Random rnd = new Random(31);
        int n = 400;
        for (int kind = 0; kind < 3; kind++) {
            double[] c = new double[n * n];
            if (kind == 2) {
                // cosines of noisy copies of unit prototypes (as the benchmark's cosine matrices), maximised
                int d = 16;
                double[][] p = new double[n][d];
                double[][] q = new double[n][d];
                for (int i = 0; i < n; i++) {
                    for (int t = 0; t < d; t++) {
                        p[i][t] = rnd.nextGaussian();
                    }
                    normalise(p[i]);
                }
                int[] pi = LinearAssignmentTest.shuffled(n, rnd);
                for (int i = 0; i < n; i++) {
                    for (int t = 0; t < d; t++) {
                        q[i][t] = p[pi[i]][t] + rnd.nextGaussian() / Math.sqrt(d);
                    }
                    normalise(q[i]);
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        for (int t = 0; t < d; t++) {
                            dot += q[i][t] * p[j][t];
                        }
                        c[i * n + j] = dot;
                    }
                }
            } else {
                for (int x = 0; x < c.length; x++) {
                    c[x] = kind == 0 ? rnd.nextDouble() : rnd.nextInt(50);
                }
            }
            for (boolean max : new boolean[] {false, true}) {
                Assignment dense = LinearAssignment.solve(c, n, n, max, false);
                Assignment sparse = LinearAssignment.solve(c, n, n, max, true);
                double tol = 1e-9 * Math.max(1, Math.abs(dense.objective()));
                assertEquals(dense.objective(), sparse.objective(), tol, "kind " + kind + " max " + max);
                assertCertified(c, n, n, sparse, tol);
            }
        }
    }

    @Test
    void refusesNanAndInfinityOnTheSparsePathNamingRowAndColumn() {
        int n = 40;
        double[] c = new double[n * n];
        Random rnd = new Random(2);
        for (int x = 0; x < c.length; x++) {
            c[x] = rnd.nextDouble();
        }
        double[] nan = c.clone();
        nan[7 * n + 3] = Double.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearAssignment.solve(nan, n, n, true, true));
        assertTrue(e.getMessage().contains("row 7, column 3 is NaN"), e.getMessage());
        double[] inf = c.clone();
        inf[39 * n + 39] = Double.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(inf, n, n, false, true));
        assertTrue(e.getMessage().contains("row 39, column 39 is Infinity"), e.getMessage());
        double[] negInf = c.clone();
        negInf[0] = Double.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(negInf, n, n, true, true));
        assertTrue(e.getMessage().contains("row 0, column 0 is -Infinity"), e.getMessage());
    }

    @Test
    void hugeValuesAndRectangularProblemsOnTheSparsePath() {
        Random rnd = new Random(8);
        int n = 30;
        double[] small = new double[n * n];
        double[] huge = new double[n * n];
        for (int x = 0; x < small.length; x++) {
            small[x] = rnd.nextInt(40) - 20;
            huge[x] = small[x] * 0x1p1000; // exact; differences would overflow unscaled
        }
        Assignment h = LinearAssignment.solve(huge, n, n, false, true);
        assertEquals(hungarianMin(small, n) * 0x1p1000, h.objective(), 1e-9 * 0x1p1000 * n);
        int m = 45;
        double[] rect = new double[n * m];
        for (int x = 0; x < rect.length; x++) {
            rect[x] = rnd.nextDouble();
        }
        double[] square = Arrays.copyOf(rect, m * m);
        for (boolean max : new boolean[] {false, true}) {
            Assignment a = LinearAssignment.solve(rect, n, m, max, true);
            Assignment dense = LinearAssignment.solve(rect, n, m, max, false);
            assertEquals(dense.objective(), a.objective(), 1e-9);
            assertCertified(rect, n, m, a, 1e-9);
        }
        double neg = -hungarianMin(Arrays.stream(square).map(x -> -x).toArray(), m);
        assertEquals(neg, LinearAssignment.solve(rect, n, m, true, true).objective(), 1e-9);
    }

    @Test
    void theScanGivesTheSameCandidatesBoundsAndMinimaOnOneOrSeveralThreads() {
        Random rnd = new Random(12);
        int n = 1300; // more than one block of rows per thread
        double[] c = new double[n * n];
        for (int x = 0; x < c.length; x++) {
            c[x] = rnd.nextInt(1000) / 7.0;
        }
        for (double sign : new double[] {1.0, -1.0}) {
            SparseFirst one = SparseFirst.scan(c, n, sign, 12, 1);
            SparseFirst three = SparseFirst.scan(c, n, sign, 12, 3);
            assertEquals(one.maxAbs(), three.maxAbs());
            int[] r1 = new int[n];
            int[] r3 = new int[n];
            double[] v1 = new double[n];
            double[] v3 = new double[n];
            assertTrue(one.certify(sign, r1, v1));
            assertTrue(three.certify(sign, r3, v3));
            assertTrue(Arrays.equals(r1, r3) && Arrays.equals(v1, v3), "threads changed the result");
        }
        double[] bad = c.clone();
        bad[1234 * n + 5] = Double.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparseFirst.scan(bad, n, 1.0, 12, 3));
        assertTrue(e.getMessage().contains("row 1234, column 5 is NaN"), e.getMessage());
    }

    @Test
    void magnitudesAndMinimaCountEveryRowWhateverItsPlaceInTheRowBlocks() {
        Random rnd = new Random(77);
        int n = 1003; // blocks of 64 rows handed to threads, a short block at the end
        for (int planted : new int[] {0, 1, 2, 3, 4, 517, 1000, 1001, 1002}) {
            double[] c = new double[n * n];
            for (int x = 0; x < c.length; x++) {
                c[x] = rnd.nextDouble();
            }
            c[planted * n + 7] = -40.5; // the largest magnitude and column 7's minimum
            c[planted * n + 8] = 3.25;
            for (int threads : new int[] {1, 2}) {
                SparseFirst sf = SparseFirst.scan(c, n, 1.0, 12, threads);
                assertEquals(40.5, sf.maxAbs(), "planted in row " + planted);
                int[] rowsol = new int[n];
                double[] v = new double[n];
                assertTrue(sf.certify(1.0, rowsol, v));
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += c[i * n + rowsol[i]];
                }
                Assignment dense = LinearAssignment.solve(c, n, n, false, false);
                assertEquals(dense.objective(), sum, 1e-9 * Math.abs(dense.objective()), "row " + planted);
                assertEquals(7, rowsol[planted]);
            }
            double[] inf = c.clone();
            inf[planted * n + 11] = Double.NEGATIVE_INFINITY;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SparseFirst.scan(inf, n, -1.0, 12, 2));
            assertTrue(e.getMessage().contains("row " + planted + ", column 11 is -Infinity"), e.getMessage());
        }
    }

    @Test
    void threadCountIsTheRequestedNumberElseTheAvailableProcessors() {
        assertEquals(1, SparseFirst.threadsFor(100, 0)); // small matrices: the calling thread
        int processors = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.min(SparseFirst.MAX_THREADS, processors), SparseFirst.threadsFor(5000, 0));
        assertEquals(3, SparseFirst.threadsFor(5000, 3));
        assertEquals(3, SparseFirst.threadsFor(100, 3), "an explicit number is taken as given");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparseFirst.threadsFor(5000, -1));
        assertTrue(e.getMessage().contains("threads") && e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void theSolveGivesTheSameAssignmentOnAnyNumberOfThreads() {
        Random rnd = new Random(5);
        int n = LinearAssignment.SPARSE_FROM; // the sparse route
        double[] c = new double[n * n];
        for (int x = 0; x < c.length; x++) {
            c[x] = rnd.nextDouble();
        }
        Assignment auto = LinearAssignment.solve(c, n, n, true, 0);
        for (int threads : new int[] {1, 2}) {
            Assignment a = LinearAssignment.solve(c, n, n, true, threads);
            assertTrue(Arrays.equals(auto.columnOfRow(), a.columnOfRow()), threads + " threads");
            assertEquals(auto.objective(), a.objective());
        }
        assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(c, n, n, true, -2));
    }

    static void normalise(double[] x) {
        double s = 0;
        for (double t : x) {
            s += t * t;
        }
        s = Math.sqrt(s);
        for (int t = 0; t < x.length; t++) {
            x[t] /= s;
        }
    }
}
