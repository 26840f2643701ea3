package io.protospark.model.assign;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dense LAPJV solver against brute force, an independent Hungarian, and METHODS.md §7 items 23–24. */
class LinearAssignmentTest {

    /** Best objective over all n! permutations (n ≤ 8). */
    static double bruteForce(double[] c, int n, boolean max) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        double best = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        do {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += c[i * n + p[i]];
            }
            best = max ? Math.max(best, s) : Math.min(best, s);
        } while (nextPermutation(p));
        return best;
    }

    private static boolean nextPermutation(int[] p) {
        int i = p.length - 2;
        while (i >= 0 && p[i] >= p[i + 1]) {
            i--;
        }
        if (i < 0) {
            return false;
        }
        int j = p.length - 1;
        while (p[j] <= p[i]) {
            j--;
        }
        int t = p[i];
        p[i] = p[j];
        p[j] = t;
        for (int a = i + 1, b = p.length - 1; a < b; a++, b--) {
            t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
        return true;
    }

    /**
     * An independent reference: the O(n³) Hungarian method with potentials in the e-maxx formulation
     * (1-based, minimisation), written here without sharing code with the solver.
     */
    static double hungarianMin(double[] c, int n) {
        double[] u = new double[n + 1];
        double[] v = new double[n + 1];
        int[] p = new int[n + 1];
        int[] way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            boolean[] used = new boolean[n + 1];
            do {
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = 0;
                for (int j = 1; j <= n; j++) {
                    if (!used[j]) {
                        double cur = c[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        double total = 0;
        for (int j = 1; j <= n; j++) {
            total += c[(p[j] - 1) * n + (j - 1)];
        }
        return total;
    }

    static void assertPermutation(int[] sigma, int m) {
        boolean[] seen = new boolean[m];
        for (int j : sigma) {
            assertTrue(j >= 0 && j < m && !seen[j], "not a one-to-one assignment: " + Arrays.toString(sigma));
            seen[j] = true;
        }
    }

    /** Objective recomputed, duals feasible and tight (complementary slackness). */
    static void assertCertified(double[] c, int n, int m, Assignment a, double tol) {
        int[] s = a.columnOfRow();
        assertPermutation(s, m);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += c[i * m + s[i]];
        }
        assertEquals(sum, a.objective(), 1e-9 * Math.max(1, Math.abs(sum)));
        double[] u = a.rowDuals();
        double[] v = a.columnDuals();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double slack = a.maximize() ? u[i] + v[j] - c[i * m + j] : c[i * m + j] - u[i] - v[j];
                assertTrue(slack >= -tol, "dual infeasible at " + i + "," + j + ": " + slack);
            }
            double tight = c[i * m + s[i]] - u[i] - v[s[i]];
            assertEquals(0, tight, tol, "chosen pair not tight at row " + i);
        }
    }

    @Test
    void bruteForceOnManySmallMatricesMinAndMaxWithTies() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + rnd.nextInt(8);
            double[] c = new double[n * n];
            int kind = trial % 4;
            for (int k = 0; k < c.length; k++) {
                c[k] = switch (kind) {
                    case 0 -> rnd.nextDouble();
                    case 1 -> rnd.nextInt(4); // integer valued, many ties
                    case 2 -> rnd.nextInt(3) - 1.0; // negative and zero
                    default -> Math.round(rnd.nextGaussian() * 100) / 10.0;
                };
            }
            for (boolean max : new boolean[] {false, true}) {
                Assignment a = LinearAssignment.solve(c, n, n, max);
                assertEquals(bruteForce(c, n, max), a.objective(), 1e-9, "trial " + trial + " max=" + max);
                assertCertified(c, n, n, a, 1e-9);
            }
        }
    }

    @Test
    void sparseFirstPathIsExactToo() {
        Random rnd = new Random(17);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + rnd.nextInt(8);
            double[] c = new double[n * n];
            for (int k = 0; k < c.length; k++) {
                c[k] = trial % 2 == 0 ? rnd.nextDouble() : rnd.nextInt(3);
            }
            for (boolean max : new boolean[] {false, true}) {
                Assignment a = LinearAssignment.solve(c, n, n, max, true);
                assertEquals(bruteForce(c, n, max), a.objective(), 1e-9, "trial " + trial + " max=" + max);
                assertCertified(c, n, n, a, 1e-9);
            }
        }
        for (int n : new int[] {30, 200}) {
            for (int kind = 0; kind < 4; kind++) {
                double[] c = new double[n * n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        c[i * n + j] = switch (kind) {
                            case 0 -> rnd.nextDouble();
                            case 1 -> rnd.nextInt(10);
                            case 2 -> 0.5; // all equal
                            default -> (i + 1.0) * (j + 1.0); // rank one: every row prefers the same columns
                        };
                    }
                }
                Assignment a = LinearAssignment.solve(c, n, n, false, true);
                assertEquals(hungarianMin(c, n), a.objective(), 1e-9 * Math.max(1, Math.abs(a.objective())));
                assertCertified(c, n, n, a, 1e-9 * Math.max(1, Math.abs(a.objective())));
            }
        }
    }

    @Test
    void trapCaseBeatsGreedy() {
        double[] s = {0.9, 0.8, 0.85, 0.1};
        Assignment a = LinearAssignment.solveMax(s, 2);
        assertArrayEquals(new int[] {1, 0}, a.columnOfRow());
        assertEquals(1.65, a.objective(), 1e-12);
    }

    @Test
    void identityCase() {
        double[] s = {0.9, 0.1, 0.3, 0.8, 0.7, 0.2, 0.1, 0.6, 0.5};
        Assignment a = LinearAssignment.solveMax(s, 3);
        assertArrayEquals(new int[] {0, 1, 2}, a.columnOfRow());
        assertEquals(2.1, a.objective(), 1e-12);
    }

    @Test
    void recoversAHiddenPermutationOfPrototypes() {
        Random rnd = new Random(3);
        int k = 60;
        int d = 20;
        double[][] p = new double[k][d];
        for (double[] row : p) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                row[j] = rnd.nextGaussian();
                norm += row[j] * row[j];
            }
            for (int j = 0; j < d; j++) {
                row[j] /= Math.sqrt(norm);
            }
        }
        int[] pi = shuffled(k, rnd);
        double[] s = new double[k * k];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += p[pi[c]][t] * p[j][t];
                }
                s[c * k + j] = dot;
            }
        }
        assertArrayEquals(pi, LinearAssignment.solveMax(s, k).columnOfRow());
    }

    @Test
    void randomTwoHundredAgainstIndependentHungarian() {
        Random rnd = new Random(11);
        int n = 200;
        for (int trial = 0; trial < 6; trial++) {
            double[] c = new double[n * n];
            for (int k = 0; k < c.length; k++) {
                c[k] = trial % 2 == 0 ? rnd.nextDouble() : rnd.nextInt(20);
            }
            Assignment min = LinearAssignment.solveMin(c, n);
            assertEquals(hungarianMin(c, n), min.objective(), 1e-9);
            assertCertified(c, n, n, min, 1e-9);
            double[] neg = new double[c.length];
            for (int k = 0; k < c.length; k++) {
                neg[k] = -c[k];
            }
            Assignment max = LinearAssignment.solveMax(c, n);
            assertEquals(-hungarianMin(neg, n), max.objective(), 1e-9);
            assertCertified(c, n, n, max, 1e-9);
        }
    }

    @Test
    void degenerateMatrices() {
        int n = 50;
        double[] equal = new double[n * n];
        Arrays.fill(equal, 0.25);
        assertEquals(n * 0.25, LinearAssignment.solveMax(equal, n).objective(), 1e-12);
        assertPermutation(LinearAssignment.solveMin(equal, n).columnOfRow(), n);
        Random rnd = new Random(5);
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            y[i] = rnd.nextDouble();
        }
        double[] rankOne = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                rankOne[i * n + j] = x[i] * y[j];
            }
        }
        assertEquals(hungarianMin(rankOne, n), LinearAssignment.solveMin(rankOne, n).objective(), 1e-9);
        double[] negative = new double[n * n];
        for (int k = 0; k < negative.length; k++) {
            negative[k] = -1000 - rnd.nextInt(5);
        }
        assertEquals(hungarianMin(negative, n), LinearAssignment.solveMin(negative, n).objective(), 1e-9);
        // huge values: differences would overflow without the solver's internal power-of-two scaling
        double[] huge = {1e308, -1e308, 1.5e308, -1.7e308};
        Assignment h = LinearAssignment.solveMin(huge, 2);
        assertArrayEquals(new int[] {0, 1}, h.columnOfRow());
        assertEquals(1e308 - 1.7e308, h.objective(), 1e294);
        Assignment hmax = LinearAssignment.solveMax(huge, 2);
        assertArrayEquals(new int[] {1, 0}, hmax.columnOfRow());
        assertEquals(-1e308 + 1.5e308, hmax.objective(), 1e294);
        assertEquals(1, LinearAssignment.solveMax(new double[] {1}, 1).objective());
        assertEquals(0, LinearAssignment.solveMax(new double[0], 0).rows());
    }

    @Test
    void rectangularRowsGetDistinctColumns() {
        Random rnd = new Random(9);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(5);
            int m = n + rnd.nextInt(4);
            double[] c = new double[n * m];
            for (int k = 0; k < c.length; k++) {
                c[k] = rnd.nextInt(5);
            }
            // brute force: best over injective maps by padding with zero rows to m x m
            double[] square = Arrays.copyOf(c, m * m);
            for (boolean max : new boolean[] {false, true}) {
                Assignment a = LinearAssignment.solve(c, n, m, max);
                assertEquals(bruteForce(square, m, max), a.objective(), 1e-9);
                assertCertified(c, n, m, a, 1e-9);
            }
        }
    }

    @Test
    void refusesNanAndInfinityNamingRowColumnAndValue() {
        double[] c = {0, 1, 2, 3, Double.NaN, 5, 6, 7, 8};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearAssignment.solveMax(c, 3));
        assertTrue(e.getMessage().contains("row 1, column 1 is NaN"), e.getMessage());
        c[4] = 0;
        c[5] = Double.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solveMin(c, 3));
        assertTrue(e.getMessage().contains("row 1, column 2 is -Infinity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solveMin(new double[5], 2));
        assertTrue(e.getMessage().contains("5 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(new double[6], 3, 2, true));
        assertTrue(e.getMessage().contains("rows <= columns"), e.getMessage());
    }

    static int[] shuffled(int k, Random rnd) {
        int[] pi = new int[k];
        for (int i = 0; i < k; i++) {
            pi[i] = i;
        }
        for (int i = k - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = pi[i];
            pi[i] = pi[j];
            pi[j] = t;
        }
        return pi;
    }

    @Test
    void theWarmUpSolvesItsFixedProblemTheSameWayEveryTime() {
        double first = LinearAssignment.warmUp();
        assertTrue(Double.isFinite(first) && first > 0, "objective " + first);
        assertEquals(first, LinearAssignment.warmUp());
    }

    @Test
    void theWarmUpRunsItsMinimumThenStopsWhenAskedOrAtItsMaximum() {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        LinearAssignment.warmUp(() -> asked.incrementAndGet() >= 2); // asked before each solve after the minimum
        assertEquals(2, asked.get(), "one more solve after the minimum, then it stops");
        asked.set(0);
        LinearAssignment.warmUp(() -> {
            asked.incrementAndGet();
            return false;
        });
        // six solves a round (three matrix kinds on each route)
        assertEquals(6 * (LinearAssignment.WARMUP_MAX_ROUNDS - LinearAssignment.WARMUP_MIN_ROUNDS), asked.get());
    }
}
