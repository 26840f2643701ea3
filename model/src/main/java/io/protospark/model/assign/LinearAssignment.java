package io.protospark.model.assign;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * Exact dense linear sum assignment by the shortest-augmenting-path method of Jonker and Volgenant (LAPJV:
 * "A shortest augmenting path algorithm for dense and sparse linear assignment problems", Computing 38, 1987).
 *
 * <p>This is the Hungarian step of DL2PA (Saadabadi et al., CVPR 2024, METHODS.md §5.3): rows are classes,
 * columns prototypes, entries cosines, maximised. The solver works on one row-major {@code double[]} of n×m
 * entries (n ≤ m; every row gets a distinct column) and never copies it for square problems. Phases, as in
 * LAPJV: column reduction (done as row-major scans), reduction transfer, two passes of augmenting row
 * reduction (with a work budget so ties or rounding cannot make it cycle long), then one Dijkstra-like shortest
 * augmenting path per remaining free row, each step one sequential pass over the cost row.
 *
 * <p>From n = {@value #SPARSE_FROM} on, {@link #solve} first tries the sparse route ({@link SparseFirst}), which is
 * much faster on typical matrices: one pass checks the entries and finds the column minima (when these nearly
 * match every row already, LAPJV goes on from them), a second keeps the {@value #CANDIDATES} smallest reduced costs
 * of each row and each column's best rows, {@link SparseAssignment} solves that graph, and the result
 * is proven on the full matrix with the final duals — from per-row bounds, reading a row of the matrix only when
 * its bound does not settle it; pairs that violate join the graph and are re-solved warm. Only when that does not
 * close (no complete matching after a few widenings, or {@value SparseFirst#MAX_ROUNDS} rounds) does dense LAPJV
 * run, so the answer is exact either way (to a tolerance of 1e-12 of the largest magnitude per pair). Values are
 * scaled internally by an exact power of two when huge, so differences never overflow. The sparse route's two
 * passes over the matrix run on the threads the caller gives ({@link #solve(double[], int, int, boolean, int)};
 * {@code protospark assign} takes them from {@code protospark.assign.threads}), by default on the processors
 * available to the JVM (at most {@value SparseFirst#MAX_THREADS}); everything else is single-threaded. All methods
 * are static and thread-safe.
 */
public final class LinearAssignment {
    /** Values above this magnitude are scaled down by a power of two before solving (differences stay finite). */
    private static final double SAFE_MAGNITUDE = 0x1p500;
    /** Augmenting row reduction budget: row scans per pass, as a multiple of n. */
    private static final int ARR_BUDGET_FACTOR = 2;
    /**
     * From this size on, {@link #solve} first solves a sparse candidate graph and certifies it on the full matrix.
     * Below it plain LAPJV is about as fast (measured warm at n = 500: 1-6 ms against 3-10 ms for the sparse route,
     * except 15 against 4 ms on integer costs with ties); at n = 1000 the sparse route takes 11-20 ms on every
     * structure measured, LAPJV 3-35 ms ({@code bench/assign.sh}).
     */
    static final int SPARSE_FROM = 800;
    /** Candidate columns per row of the sparse first try (smallest reduced costs after column reduction). */
    private static final int CANDIDATES = 12;

    private static final Logger LOG = LoggerFactory.getLogger(LinearAssignment.class);

    private LinearAssignment() {
    }

    /** Rounds of {@link #warmUp(BooleanSupplier)} that always run, and the most it runs. */
    static final int WARMUP_MIN_ROUNDS = 3;
    static final int WARMUP_MAX_ROUNDS = 30;

    /** {@link #warmUp(BooleanSupplier)} for its minimum number of rounds. */
    public static double warmUp() {
        return warmUp(() -> true);
    }

    /**
     * Solves small pseudo-random problems through the same code as {@link #solve}, so that the JIT compiles those
     * loops, with profiles from every kind of matrix a solve meets: uniform costs, a near-permutation (every row's
     * best column distinct) and small integers with many ties, each minimised and maximised, on the sparse route
     * (n = 512) and dense LAPJV (n = 256). A round takes a few milliseconds once compiled. It runs at least
     * {@value #WARMUP_MIN_ROUNDS} rounds, then more until {@code enough}, asked before each solve, says stop (at
     * most {@value #WARMUP_MAX_ROUNDS} rounds): a command that solves once per JVM runs it on another thread while it
     * loads and stops it when the matrix is read, since a fresh JVM otherwise spends longer compiling than solving at
     * n = 1000-5000 (and code compiled on one kind of matrix is recompiled when another takes other branches).
     * Returns the objectives' sum (to keep the work); thread-safe.
     */
    public static double warmUp(BooleanSupplier enough) {
        double sum = 0;
        long x = 0x9E3779B97F4A7C15L;
        for (int round = 0; round < WARMUP_MAX_ROUNDS; round++) {
            for (int n : new int[] {512, 256}) {
                double[] c = new double[n * n];
                for (int kind = 0; kind < 3; kind++) {
                    if (round >= WARMUP_MIN_ROUNDS && enough.getAsBoolean()) {
                        return sum; // asked before each solve: a waiting caller waits for one small solve at most
                    }
                    for (int e = 0; e < c.length; e++) {
                        x = x * 6364136223846793005L + 1442695040888963407L;
                        double u = (x >>> 11) * 0x1.0p-53;
                        c[e] = switch (kind) {
                            case 0 -> u;
                            case 1 -> (e / n == (e % n * 7 + round) % n ? 1.0 : 0.0) + 0.5 * u; // near-permutation
                            default -> Math.floor(8 * u); // ties
                        };
                    }
                    boolean max = (kind + round) % 2 == 1;
                    sum += solve(c, n, n, max, n == 512).objective();
                }
            }
        }
        return sum;
    }

    /** Minimises the sum of the chosen entries of the square n×n row-major matrix {@code cost}. */
    public static Assignment solveMin(double[] cost, int n) {
        return solve(cost, n, n, false);
    }

    /** Maximises the sum of the chosen entries of the square n×n row-major matrix {@code cost}. */
    public static Assignment solveMax(double[] cost, int n) {
        return solve(cost, n, n, true);
    }

    /**
     * Solves an n×m problem (n ≤ m, row-major): every row gets a distinct column, optimising the sum.
     *
     * @throws IllegalArgumentException on a wrong length, n &gt; m, or a NaN or infinite entry (named by row,
     *                                  column and value)
     */
    public static Assignment solve(double[] cost, int n, int m, boolean maximize) {
        return solve(cost, n, m, maximize, 0);
    }

    /**
     * As {@link #solve(double[], int, int, boolean)}, with the number of Java threads for the two passes over the
     * matrix of the sparse route: at least 1, or 0 for automatic (the processors available to this JVM, at most
     * {@value SparseFirst#MAX_THREADS}; the calling thread alone for small matrices).
     *
     * @throws IllegalArgumentException also when {@code threads} is negative
     */
    public static Assignment solve(double[] cost, int n, int m, boolean maximize, int threads) {
        return solve(cost, n, m, maximize, Math.max(n, m) >= SPARSE_FROM, threads);
    }

    /** As {@link #solve(double[], int, int, boolean)}, choosing whether to try the sparse certified path first. */
    static Assignment solve(double[] cost, int n, int m, boolean maximize, boolean sparseFirst) {
        return solve(cost, n, m, maximize, sparseFirst, 0);
    }

    static Assignment solve(double[] cost, int n, int m, boolean maximize, boolean sparseFirst, int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 1, or 0 for automatic; got " + threads);
        }
        if (n < 0 || m < 0 || (long) n * m != cost.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "cost has %d entries, expected n x m = %d x %d", cost.length, n, m));
        }
        if (n > m) {
            throw new IllegalArgumentException("an assignment needs rows <= columns; found " + n + " rows and "
                    + m + " columns (transpose the matrix)");
        }
        if (n == 0) {
            checkFinite(cost, m);
            return new Assignment(new int[0], 0, new double[0], new double[m], maximize);
        }
        double[] square = cost;
        if (n < m) {
            // dummy zero rows make it square; they take the columns no real row wants
            square = Arrays.copyOf(cost, m * m);
        }
        // the sparse try's first pass over the matrix also checks finiteness and finds the largest magnitude
        SparseFirst sf = sparseFirst ? SparseFirst.scan(square, m, maximize ? -1.0 : 1.0, Math.min(m, CANDIDATES),
                SparseFirst.threadsFor(m, threads), true) : null;
        double maxAbs = sf != null ? sf.maxAbs() : checkFinite(cost, m);
        double scale = 1.0;
        if (maxAbs > SAFE_MAGNITUDE) {
            scale = Math.scalb(1.0, -(Math.getExponent(maxAbs) - 500));
        }
        double s = maximize ? -scale : scale;
        int[] rowsol = new int[m];
        double[] v = new double[m];
        // huge values (scaled) go dense: the scan's unscaled differences could have overflowed
        if (sf != null && scale == 1.0 && sf.nearPermutation()) {
            lapjv(square, m, s, rowsol, v, sf.columnMinima(), sf.columnArgmin());
        } else if (sf == null || scale != 1.0 || !sf.certify(s, rowsol, v)) {
            lapjv(square, m, s, rowsol, v, null, null);
        }
        int[] columnOfRow = Arrays.copyOf(rowsol, n);
        double objective = 0;
        double[] u = new double[n];
        double[] vOut = new double[m];
        for (int j = 0; j < m; j++) {
            vOut[j] = v[j] / s;
        }
        for (int i = 0; i < n; i++) {
            double c = cost[i * m + columnOfRow[i]];
            objective += c;
            u[i] = (s * c - v[columnOfRow[i]]) / s;
        }
        return new Assignment(columnOfRow, objective, u, vOut, maximize);
    }

    /** Returns the largest magnitude; refuses NaN and infinities naming the first one. */
    static double checkFinite(double[] cost, int m) {
        double maxAbs = 0;
        for (int k = 0; k < cost.length; k++) {
            double a = Math.abs(cost[k]);
            if (!(a <= Double.MAX_VALUE)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "cost matrix entry at row %d, column %d is %s; every entry must be a finite number",
                        k / m, k % m, cost[k]));
            }
            if (a > maxAbs) {
                maxAbs = a;
            }
        }
        return maxAbs;
    }

    /**
     * LAPJV on the square n×n matrix {@code s * a} (minimised). Fills {@code rowsol} and the column prices
     * {@code v} (in the scaled units). {@code minima} and {@code argmin}, when given, are the column minima of
     * {@code s * a} and the first row reaching each (from {@link SparseFirst}'s scan); otherwise it finds them.
     */
    static void lapjv(double[] a, int n, double s, int[] rowsol, double[] v, double[] minima, int[] argmin) {
        int[] colsol = new int[n];
        int[] free = new int[n];
        long t0 = System.nanoTime();
        int numfree = columnReduction(a, n, s, rowsol, colsol, v, free, minima, argmin);
        long t1 = System.nanoTime();
        int free0 = numfree;
        for (int pass = 0; pass < 2 && numfree > 0; pass++) {
            numfree = augmentingRowReduction(a, n, s, rowsol, colsol, v, free, numfree);
        }
        long t2 = System.nanoTime();
        if (numfree > 0) {
            augment(a, n, s, rowsol, colsol, v, free, numfree);
        }
        long t3 = System.nanoTime();
        if (LOG.isDebugEnabled()) {
            LOG.debug(String.format(Locale.ROOT, "lapjv n=%d: column reduction %.3f s (%d free), row reduction "
                    + "%.3f s (%d free), augmentation %.3f s", n, (t1 - t0) / 1e9, free0, (t2 - t1) / 1e9, numfree,
                    (t3 - t2) / 1e9));
        }
    }

    /**
     * Column reduction and reduction transfer; returns the number of free rows listed in {@code free}. The column
     * minima come from {@code minima} / {@code argmin} when given.
     */
    private static int columnReduction(double[] a, int n, double s, int[] rowsol, int[] colsol, double[] v,
                                       int[] free, double[] minima, int[] argminGiven) {
        int[] argmin;
        if (minima != null) {
            System.arraycopy(minima, 0, v, 0, n);
            argmin = argminGiven;
        } else {
            // v[j] = min_i s*a[i][j], found row by row (cache friendly); ties keep the smallest i
            argmin = new int[n];
            for (int j = 0; j < n; j++) {
                v[j] = s * a[j];
            }
            for (int i = 1; i < n; i++) {
                int base = i * n;
                for (int j = 0; j < n; j++) {
                    double c = s * a[base + j];
                    if (c < v[j]) {
                        v[j] = c;
                        argmin[j] = i;
                    }
                }
            }
        }
        int[] matches = new int[n];
        Arrays.fill(rowsol, -1);
        for (int j = n - 1; j >= 0; j--) {
            int imin = argmin[j];
            if (++matches[imin] == 1) {
                rowsol[imin] = j;
                colsol[j] = imin;
            } else if (v[j] < v[rowsol[imin]]) {
                int j1 = rowsol[imin];
                rowsol[imin] = j;
                colsol[j] = imin;
                colsol[j1] = -1;
            } else {
                colsol[j] = -1;
            }
        }
        int numfree = 0;
        for (int i = 0; i < n; i++) {
            if (matches[i] == 0) {
                free[numfree++] = i;
            } else if (matches[i] == 1) {
                // reduction transfer: lower the price of the only column of row i by its second-best margin
                int j1 = rowsol[i];
                int base = i * n;
                double min = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double h = s * a[base + j] - v[j];
                    if (h < min && j != j1) {
                        min = h;
                    }
                }
                if (min < Double.POSITIVE_INFINITY) {
                    v[j1] -= min;
                }
            }
        }
        return numfree;
    }

    /** One pass of augmenting row reduction over the free rows; returns the number still free. */
    private static int augmentingRowReduction(double[] a, int n, double s, int[] rowsol, int[] colsol, double[] v,
                                              int[] free, int numfree) {
        int k = 0;
        int prvnumfree = numfree;
        numfree = 0;
        long budget = (long) ARR_BUDGET_FACTOR * n;
        while (k < prvnumfree) {
            if (--budget < 0) {
                // out of budget: the rows not yet processed stay free for the augmentation phase
                while (k < prvnumfree) {
                    free[numfree++] = free[k++];
                }
                break;
            }
            int i = free[k++];
            int base = i * n;
            double umin = s * a[base] - v[0];
            int j1 = 0;
            int j2 = -1;
            double usubmin = Double.POSITIVE_INFINITY;
            for (int j = 1; j < n; j++) {
                double h = s * a[base + j] - v[j];
                if (h < usubmin) {
                    if (h >= umin) {
                        usubmin = h;
                        j2 = j;
                    } else {
                        usubmin = umin;
                        umin = h;
                        j2 = j1;
                        j1 = j;
                    }
                }
            }
            int i0 = colsol[j1];
            boolean strict = umin < usubmin && usubmin < Double.POSITIVE_INFINITY;
            if (strict) {
                v[j1] -= usubmin - umin;
            } else if (i0 >= 0 && j2 >= 0) {
                j1 = j2;
                i0 = colsol[j2];
            }
            if (i0 >= 0) {
                rowsol[i0] = -1;
            }
            rowsol[i] = j1;
            colsol[j1] = i;
            if (i0 >= 0) {
                if (strict) {
                    free[--k] = i0;
                } else {
                    free[numfree++] = i0;
                }
            }
        }
        return numfree;
    }

    /**
     * Shortest augmenting paths (Dijkstra on reduced costs) for every free row. Each step scans the whole cost
     * row of the newly reached row sequentially, relaxing distances and finding the next minimum in the same
     * pass; columns already settled hold NaN so that both comparisons skip them without a branch on a flag.
     */
    private static void augment(double[] a, int n, double s, int[] rowsol, int[] colsol, double[] v, int[] free,
                                int numfree) {
        double[] d = new double[n];
        int[] pred = new int[n];
        int[] doneCols = new int[n];
        double[] doneD = new double[n];
        for (int f = 0; f < numfree; f++) {
            int freerow = free[f];
            int fbase = freerow * n;
            double best = Double.POSITIVE_INFINITY;
            int jbest = -1;
            for (int j = 0; j < n; j++) {
                double dj = s * a[fbase + j] - v[j];
                d[j] = dj;
                pred[j] = freerow;
                if (dj <= best && (dj < best || colsol[j] < 0)) {
                    best = dj;
                    jbest = j;
                }
            }
            int ndone = 0;
            while (colsol[jbest] >= 0) {
                double min = best;
                int j1 = jbest;
                doneCols[ndone] = j1;
                doneD[ndone++] = min;
                d[j1] = Double.NaN;
                int i = colsol[j1];
                int base = i * n;
                double h = s * a[base + j1] - v[j1] - min;
                best = Double.POSITIVE_INFINITY;
                jbest = -1;
                for (int j = 0; j < n; j++) {
                    double r = s * a[base + j] - v[j] - h;
                    double dj = d[j];
                    if (r < dj) {
                        d[j] = r;
                        pred[j] = i;
                        dj = r;
                    }
                    if (dj <= best && (dj < best || colsol[j] < 0)) {
                        best = dj;
                        jbest = j;
                    }
                }
            }
            // settled columns: lower their prices so reduced costs stay non-negative and the path is tight
            for (int k = 0; k < ndone; k++) {
                v[doneCols[k]] += doneD[k] - best;
            }
            int endofpath = jbest;
            int i;
            do {
                i = pred[endofpath];
                colsol[endofpath] = i;
                int j1 = endofpath;
                endofpath = rowsol[i];
                rowsol[i] = j1;
            } while (i != freerow);
        }
    }
}
