package io.protospark.model.assign;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CSR solver against the dense solver (missing edges cost a big M), its warm start and stuck detection. */
class SparseAssignmentTest {
    private static final double BIG = 1e6;

    /** Edges of a random graph that contains a hidden perfect matching; dense copy with BIG where absent. */
    private record Graph(int[] start, int[] col, double[] cost, double[] dense) {
    }

    private static Graph randomGraph(int n, int extra, Random rnd, boolean integer) {
        int[] pi = LinearAssignmentTest.shuffled(n, rnd);
        double[] dense = new double[n * n];
        Arrays.fill(dense, BIG);
        int[] start = new int[n + 1];
        List<Integer> cols = new ArrayList<>();
        List<Double> costs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean[] used = new boolean[n];
            int[] js = new int[1 + extra];
            js[0] = pi[i];
            used[pi[i]] = true;
            for (int e = 1; e <= extra; e++) {
                int j;
                do {
                    j = rnd.nextInt(n);
                } while (used[j] && extra < n - 1);
                used[j] = true;
                js[e] = j;
            }
            for (int j : js) {
                double c = integer ? rnd.nextInt(5) : rnd.nextDouble();
                if (dense[i * n + j] == BIG) {
                    dense[i * n + j] = c;
                    cols.add(j);
                    costs.add(c);
                }
            }
            start[i + 1] = cols.size();
        }
        return new Graph(start, cols.stream().mapToInt(Integer::intValue).toArray(),
                costs.stream().mapToDouble(Double::doubleValue).toArray(), dense);
    }

    private static double objective(SparseAssignment sa) {
        double s = 0;
        for (int i = 0; i < sa.size(); i++) {
            s += sa.matchedCost(i);
        }
        return s;
    }

    @Test
    void equalsTheDenseOptimumOnRandomSparseGraphs() {
        Random rnd = new Random(12);
        for (int trial = 0; trial < 40; trial++) {
            int n = 5 + rnd.nextInt(150);
            Graph g = randomGraph(n, 1 + rnd.nextInt(6), rnd, trial % 2 == 0);
            SparseAssignment sa = new SparseAssignment(n);
            sa.setGraph(g.start(), g.col(), g.cost());
            assertTrue(sa.solve());
            LinearAssignmentTest.assertPermutation(sa.columnOfRow(), n);
            assertEquals(LinearAssignment.solveMin(g.dense(), n).objective(), objective(sa), 1e-9, "trial " + trial);
        }
    }

    @Test
    void warmStartAfterAddingEdgesReachesTheNewOptimum() {
        Random rnd = new Random(13);
        int n = 120;
        Graph g = randomGraph(n, 3, rnd, false);
        SparseAssignment sa = new SparseAssignment(n);
        sa.setGraph(g.start(), g.col(), g.cost());
        assertTrue(sa.solve());
        // every row gains a cheap edge: the matched rows whose new edge undercuts them are freed and re-solved
        Graph more = randomGraph(n, 6, new Random(14), false);
        double[] dense = g.dense().clone();
        List<Integer> cols = new ArrayList<>();
        List<Double> costs = new ArrayList<>();
        int[] start = new int[n + 1];
        for (int i = 0; i < n; i++) {
            for (int e = g.start()[i]; e < g.start()[i + 1]; e++) {
                cols.add(g.col()[e]);
                costs.add(g.cost()[e]);
            }
            for (int e = more.start()[i]; e < more.start()[i + 1]; e++) {
                int j = more.col()[e];
                if (dense[i * n + j] == BIG) {
                    double c = more.cost()[e] * 0.1;
                    dense[i * n + j] = c;
                    cols.add(j);
                    costs.add(c);
                }
            }
            start[i + 1] = cols.size();
        }
        sa.setGraph(start, cols.stream().mapToInt(Integer::intValue).toArray(),
                costs.stream().mapToDouble(Double::doubleValue).toArray());
        assertTrue(sa.solve());
        assertEquals(LinearAssignment.solveMin(dense, n).objective(), objective(sa), 1e-9);
    }

    @Test
    void reportsTheStuckRowsWhenNoCompleteMatchingExists() {
        // rows 0 and 1 can only use column 0; row 2 has columns 1 and 2
        int[] start = {0, 1, 2, 4};
        int[] col = {0, 0, 1, 2};
        double[] cost = {1, 2, 3, 4};
        SparseAssignment sa = new SparseAssignment(3);
        sa.setGraph(start, col, cost);
        assertFalse(sa.solve());
        int[] stuck = sa.stuckRows();
        Arrays.sort(stuck);
        assertTrue(Arrays.equals(new int[] {0, 1}, stuck), Arrays.toString(stuck));
        // widen row 1 to every column: complete, and optimal (row 0 -> 0, row 1 -> 2, row 2 -> 1)
        sa.setGraph(new int[] {0, 1, 4, 6}, new int[] {0, 0, 1, 2, 1, 2}, new double[] {1, 2, 5, 1, 3, 4});
        assertTrue(sa.solve());
        assertEquals(1 + 1 + 3, objective(sa), 1e-12);
    }
}
