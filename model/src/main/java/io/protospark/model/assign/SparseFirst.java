package io.protospark.model.assign;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The sparse first try of {@link LinearAssignment} for large square problems: two simple passes over the dense
 * matrix, a sparse solve, and a proof of optimality that reads the matrix again only for the rows it cannot settle
 * from a bound.
 *
 * <p><b>Scan.</b> Pass one checks every entry is finite, records the largest magnitude and the column minima
 * {@code v0} of {@code y = sign·a}. Pass two keeps, per row, the {@code k} smallest reduced costs
 * {@code r = y − v0[j]} (a bounded max-heap) and their largest, {@code R[i]}: every other pair of row i has
 * {@code r ≥ R[i]}. The passes are plain loops (pass one: two per row, the second reading the row from cache) that
 * the JIT compiles early and well (a user runs one solve per JVM, so that matters as much as the work itself), and
 * both split the rows among threads: pass one keeps per-thread minima that are merged, pass two's rows are
 * independent.
 *
 * <p><b>Solve.</b> The candidate graph is solved by {@link SparseAssignment} from the prices {@code v0}.
 *
 * <p><b>Proof.</b> With the final prices {@code v} and row duals {@code u}, the assignment is optimal on the full
 * matrix when every pair has {@code y − v[j] ≥ u[i] − tol}. Candidate edges are checked directly. For a pair
 * outside the graph {@code y − v[j] = (y − v0[j]) − (v[j] − v0[j]) ≥ R[i] − Δ}, with {@code Δ = max_j (v[j] −
 * v0[j])} (the solver only lowers prices, so Δ is usually 0), so row i is settled without reading the matrix when
 * {@code R[i] − Δ − margin ≥ u[i] − tol}; the margin covers the rounding of these few operations. Only the rows
 * that fail are scanned in the matrix; pairs that violate join the graph, their rows are freed and re-solved warm,
 * and the proof repeats. The caller falls back to dense LAPJV when the rounds run out or the graph keeps lacking a
 * complete matching, so the result is exact either way.
 */
final class SparseFirst {
    private static final Logger LOG = LoggerFactory.getLogger(SparseFirst.class);
    /** Rounds of proof and re-solve before giving up (the caller then runs dense LAPJV). */
    static final int MAX_ROUNDS = 8;
    /** Times the sparse graph may lack a complete matching (stuck rows are widened to all columns) before giving up. */
    private static final int MAX_STUCK = 4;
    /** Most threads the scan uses when the caller leaves the choice to it ({@link #threadsFor}). */
    static final int MAX_THREADS = 8;
    /** Matrices smaller than this many entries are scanned on the calling thread. */
    private static final long PARALLEL_FROM_ENTRIES = 1L << 20;
    /** Rows handed to a thread at a time. */
    private static final int ROW_BLOCK = 64;
    /**
     * When at most n / this many rows are no column's minimum, the scan stops after pass one and LAPJV goes on: its
     * column reduction is then nearly a complete matching (class memories near their prototypes; measured here: 0-3
     * such rows at n = 1000-5000 on such matrices, against 36-90 % of the rows on uniform, noisy, low-rank and tied
     * ones), and LAPJV's remaining pass costs less than the sparse route's selection pass.
     */
    static final int NEAR_PERMUTATION_FREE = 100;
    /** Best rows kept per column (their edges join the graph; see {@link #addColumnCandidates}). */
    static final int COLUMN_CANDIDATES = 4;

    private final double[] a;
    private final int n;
    private final double sign;
    private final int k;
    private double maxAbs;
    /** Column minima of y, and the first row reaching each. */
    private final double[] v0;
    private final int[] argmin0;
    /** Set by the scan when nearly every row is some column's minimum: the caller then runs LAPJV from the minima. */
    private boolean nearPermutation;
    /** Row candidates: row i's k columns of smallest reduced cost; {@code rowBound[i]}: the largest of them. */
    private final int[][] rowCols;
    private final double[] rowBound;

    // statistics (for the debug log and the tests)
    int rounds;
    int rowsScanned;
    int stuckEvents;

    private SparseFirst(double[] a, int n, double sign, int k) {
        this.a = a;
        this.n = n;
        this.sign = sign;
        this.k = k;
        this.v0 = new double[n];
        this.argmin0 = new int[n];
        this.rowCols = new int[n][];
        this.rowBound = new double[n];
    }

    /**
     * Scans the square n×n row-major matrix {@code a} (objective {@code y = sign·a} minimised, sign ±1), keeping
     * the k smallest reduced costs of every row, on {@link #threadsFor threadsFor(n, 0)} threads. Throws
     * {@link IllegalArgumentException} on a NaN or infinite entry (named by row, column and value).
     */
    static SparseFirst scan(double[] a, int n, double sign, int k) {
        return scan(a, n, sign, k, threadsFor(n, 0));
    }

    /** As {@link #scan(double[], int, double, int)} on {@code threads} threads (rows split in blocks). */
    static SparseFirst scan(double[] a, int n, double sign, int k, int threads) {
        return scan(a, n, sign, k, threads, false);
    }

    /**
     * As {@link #scan(double[], int, double, int, int)}; with {@code mayStop}, a matrix whose column minima nearly
     * match every row ends the scan after pass one ({@link #nearPermutation()}).
     */
    static SparseFirst scan(double[] a, int n, double sign, int k, int threads, boolean mayStop) {
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k must be in 1.." + n + ", got " + k);
        }
        long t0 = System.nanoTime();
        SparseFirst sf = new SparseFirst(a, n, sign, k);
        int t = Math.max(1, Math.min(threads, n / ROW_BLOCK));
        // pass one: per-thread column minima (with the first row reaching each) and magnitudes, merged
        double[][] partMin = new double[t][];
        int[][] partArg = new int[t][];
        double[] partMax = new double[t];
        AtomicInteger next = new AtomicInteger();
        runParallel(t, w -> {
            double[] m = new double[n];
            int[] arg = new int[n];
            Arrays.fill(m, Double.POSITIVE_INFINITY);
            double mx = 0;
            for (int b; (b = next.getAndIncrement() * ROW_BLOCK) < n; ) {
                for (int i = b; i < Math.min(n, b + ROW_BLOCK); i++) {
                    mx = Math.max(mx, sf.minimaRow(i, m, arg));
                }
            }
            partMin[w] = m;
            partArg[w] = arg;
            partMax[w] = mx;
        });
        double mx = 0;
        System.arraycopy(partMin[0], 0, sf.v0, 0, n);
        System.arraycopy(partArg[0], 0, sf.argmin0, 0, n);
        for (int w = 0; w < t; w++) {
            mx = Math.max(mx, partMax[w]);
            if (w > 0) {
                double[] m = partMin[w];
                int[] arg = partArg[w];
                for (int j = 0; j < n; j++) {
                    // the smallest value, and among equal ones the first row, whatever rows each thread read
                    if (m[j] < sf.v0[j] || (m[j] == sf.v0[j] && arg[j] < sf.argmin0[j])) {
                        sf.v0[j] = m[j];
                        sf.argmin0[j] = arg[j];
                    }
                }
            }
        }
        if (!(mx <= Double.MAX_VALUE)) {
            LinearAssignment.checkFinite(a, n);
        }
        sf.maxAbs = mx;
        boolean[] reached = new boolean[n];
        int distinct = 0;
        for (int j = 0; j < n; j++) {
            if (!reached[sf.argmin0[j]]) {
                reached[sf.argmin0[j]] = true;
                distinct++;
            }
        }
        if (mayStop && n - distinct <= n / NEAR_PERMUTATION_FREE) {
            // nearly every row is some column's minimum: LAPJV goes on from here at the cost of about one more pass
            sf.nearPermutation = true;
            if (LOG.isDebugEnabled()) {
                LOG.debug(String.format(Locale.ROOT, "sparse-first n=%d threads=%d: column minima %.3f s, %d rows "
                        + "reach none: dense LAPJV", n, t, (System.nanoTime() - t0) / 1e9, n - distinct));
            }
            return sf;
        }
        long t1 = System.nanoTime();
        // pass two: each row's k smallest reduced costs, and each column's kc best rows (per thread, merged)
        AtomicInteger nextRow = new AtomicInteger();
        int kc = Math.min(k, COLUMN_CANDIDATES);
        ColumnBest[] partCols = new ColumnBest[t];
        runParallel(t, w -> {
            double[] heapKey = new double[k];
            int[] heapCol = new int[k];
            ColumnBest cols = new ColumnBest(n, kc);
            for (int b; (b = nextRow.getAndIncrement() * ROW_BLOCK) < n; ) {
                for (int i = b; i < Math.min(n, b + ROW_BLOCK); i++) {
                    sf.rowBound[i] = sf.smallestReduced(i, heapKey, heapCol);
                    sf.rowCols[i] = heapCol.clone();
                    double rowMin = Double.POSITIVE_INFINITY;
                    for (double key : heapKey) {
                        rowMin = Math.min(rowMin, -key);
                    }
                    sf.offerColumns(i, rowMin, cols);
                }
            }
            partCols[w] = cols;
        });
        sf.addColumnCandidates(ColumnBest.merge(partCols));
        if (LOG.isDebugEnabled()) {
            LOG.debug(String.format(Locale.ROOT, "sparse-first n=%d k=%d threads=%d: finite check and column minima "
                    + "%.3f s, selection %.3f s", n, k, t, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9));
        }
        return sf;
    }

    /**
     * Threads for the two passes over an n×n matrix: {@code requested} when it is at least 1 (for example from
     * {@code protospark.assign.threads}); for 0 (automatic) the processors available to this JVM
     * ({@link Runtime#availableProcessors}, which follows a container's CPU limit), at most {@value #MAX_THREADS},
     * and the calling thread alone below {@value #PARALLEL_FROM_ENTRIES} entries, where starting threads costs more
     * than it saves. A caller that shares the machine with other work (a training driver, a benchmark beside
     * another) passes the number it can spare: on a busy machine extra threads only wait for each other (measured:
     * two threads at load 7-9 made K = 5000 1.5-2x slower).
     *
     * @throws IllegalArgumentException when {@code requested} is negative
     */
    static int threadsFor(int n, int requested) {
        if (requested < 0) {
            throw new IllegalArgumentException("threads must be >= 1, or 0 for automatic; got " + requested);
        }
        if (requested > 0) {
            return requested;
        }
        if ((long) n * n < PARALLEL_FROM_ENTRIES) {
            return 1;
        }
        return Math.max(1, Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()));
    }

    /** Runs {@code task(0..t-1)}, task 0 on the calling thread; rethrows the first failure. */
    private static void runParallel(int t, IntConsumer task) {
        if (t == 1) {
            task.accept(0);
            return;
        }
        Thread[] workers = new Thread[t - 1];
        Throwable[] failure = new Throwable[t];
        for (int w = 1; w < t; w++) {
            int id = w;
            workers[w - 1] = new Thread(() -> {
                try {
                    task.accept(id);
                } catch (Throwable e) {
                    failure[id] = e;
                }
            }, "protospark-assign-scan-" + w);
            workers[w - 1].setDaemon(true);
            workers[w - 1].start();
        }
        try {
            task.accept(0);
        } finally {
            for (Thread th : workers) {
                try {
                    th.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while scanning the cost matrix", e);
                }
            }
        }
        for (Throwable e : failure) {
            if (e instanceof RuntimeException re) {
                throw re;
            } else if (e instanceof Error er) {
                throw er;
            }
        }
    }

    /** The largest magnitude of the matrix (known after the scan). */
    double maxAbs() {
        return maxAbs;
    }

    /** Whether the scan stopped after pass one for LAPJV ({@link #NEAR_PERMUTATION_FREE}); no candidates then. */
    boolean nearPermutation() {
        return nearPermutation;
    }

    /** The column minima of {@code sign·a} (not copied; read only). */
    double[] columnMinima() {
        return v0;
    }

    /** The first row reaching each column's minimum (not copied; read only). */
    int[] columnArgmin() {
        return argmin0;
    }

    /**
     * One row of pass one: folds row i into the minima {@code v0} (noting in {@code arg} the row of each new minimum),
     * returns its largest magnitude (NaN for NaN).
     */
    private double minimaRow(int i, double[] v0, int[] arg) {
        double[] a = this.a;
        double sg = sign;
        int base = i * n;
        // two loops over the row (the second reads it from cache), each without method calls: Math.min would be a
        // real call in the interpreter, which runs the first tens of thousands of entries of a fresh JVM; NaN is
        // caught by the second loop
        for (int j = 0; j < n; j++) {
            double y = sg * a[base + j];
            if (y < v0[j]) {
                v0[j] = y;
                arg[j] = i;
            }
        }
        double mx = 0;
        for (int j = 0; j < n; j++) {
            double x = Math.abs(a[base + j]);
            if (!(x <= Double.MAX_VALUE)) {
                return Double.POSITIVE_INFINITY;
            }
            if (x > mx) {
                mx = x;
            }
        }
        return mx;
    }

    /**
     * The k columns of row i with the smallest {@code y − v0} into {@code heapCol} (a bounded heap whose root is the
     * largest kept; one compare per entry); returns the largest of the k reduced costs. The heap holds the negated
     * costs in a min-heap ({@link Heaps}). The row is read from a column that depends on i, wrapping around, so that
     * among equal costs (integer matrices) rows keep different columns rather than all the first ones.
     */
    private double smallestReduced(int i, double[] heapKey, int[] heapCol) {
        double[] a = this.a;
        double[] v0 = this.v0;
        double sg = sign;
        int base = i * n;
        int o = rotation(i, n);
        for (int x = 0; x < k; x++) {
            int j = o + x < n ? o + x : o + x - n;
            Heaps.siftUp(heapKey, heapCol, x, -(sg * a[base + j] - v0[j]), j);
        }
        double thr = -heapKey[0];
        int from = o + k < n ? o + k : o + k - n;
        int to = from >= o ? n : o; // first stretch: from .. to-1, then 0 .. o-1 when it did not wrap yet
        for (int j = from; j < to; j++) {
            double r = sg * a[base + j] - v0[j];
            if (r < thr) {
                Heaps.siftDown(heapKey, heapCol, k, -r, j);
                thr = -heapKey[0];
            }
        }
        if (from >= o) {
            for (int j = 0; j < o; j++) {
                double r = sg * a[base + j] - v0[j];
                if (r < thr) {
                    Heaps.siftDown(heapKey, heapCol, k, -r, j);
                    thr = -heapKey[0];
                }
            }
        }
        return thr;
    }

    /** Where row i starts reading its columns (a multiplicative hash of i, spread over 0..n-1). */
    static int rotation(int i, int n) {
        return (int) (((i * 0x9E3779B97F4A7C15L) >>> 32) % n);
    }

    /**
     * Offers row i's entries to the columns' best rows, keyed by the doubly reduced cost {@code y − v0[j] − rowMin}
     * (≥ 0); the row is read again from cache, one compare per entry.
     */
    private void offerColumns(int i, double rowMin, ColumnBest cols) {
        double[] a = this.a;
        double[] v0 = this.v0;
        double[] thr = cols.threshold;
        double sg = sign;
        int base = i * n;
        for (int j = 0; j < n; j++) {
            double q = sg * a[base + j] - v0[j] - rowMin;
            if (q <= thr[j]) {
                cols.offer(j, q, i);
            }
        }
    }

    /**
     * Adds to each row the columns that chose it ({@link ColumnBest}) and are not already among its k candidates, so
     * that every column has edges: without them, a column that is no row's near-best (a prototype far from every
     * class memory in a low-rank cosine matrix, or a column after the first equal ones of every row) leaves the
     * graph without a complete matching. The proof is unchanged: a pair outside row i's k candidates still has
     * reduced cost ≥ {@code rowBound[i]}, whether or not a column added it.
     */
    private void addColumnCandidates(int[][] colRows) {
        int[] extra = new int[n];
        for (int[] rows : colRows) {
            for (int i : rows) {
                extra[i]++;
            }
        }
        int[][] added = new int[n][];
        int[] fill = new int[n];
        for (int i = 0; i < n; i++) {
            added[i] = new int[extra[i]];
        }
        for (int j = 0; j < n; j++) {
            for (int i : colRows[j]) {
                added[i][fill[i]++] = j;
            }
        }
        for (int i = 0; i < n; i++) {
            rowCols[i] = withNew(rowCols[i], added[i], fill[i]);
        }
    }

    /**
     * Each column's kc best rows by a key, under the total order (key, tie hash of the pair, row), so that the merge
     * of several threads' selections is the same whatever rows each thread saw. Slots are unsorted; the worst kept
     * of column j is its {@link #threshold} (+∞ until kc are kept).
     */
    static final class ColumnBest {
        final int n;
        final int kc;
        final double[] key;
        final int[] row;
        final int[] count;
        final double[] threshold;
        final int[] worst;

        ColumnBest(int n, int kc) {
            this.n = n;
            this.kc = kc;
            this.key = new double[n * kc];
            this.row = new int[n * kc];
            this.count = new int[n];
            this.threshold = new double[n];
            this.worst = new int[n];
            Arrays.fill(threshold, Double.POSITIVE_INFINITY);
        }

        static int tie(int i, int j) {
            int h = i * 0x9E3779B1 + j * 0x85EBCA77;
            h ^= h >>> 15;
            h *= 0x2C1B3C6D;
            return h ^ (h >>> 12);
        }

        /** Whether (q, i) comes before (p, r) in column j's order. */
        static boolean before(double q, int i, double p, int r, int j) {
            if (q != p) {
                return q < p;
            }
            int ti = tie(i, j);
            int tr = tie(r, j);
            return ti != tr ? ti < tr : i < r;
        }

        void offer(int j, double q, int i) {
            int base = j * kc;
            int c = count[j];
            if (c < kc) {
                key[base + c] = q;
                row[base + c] = i;
                count[j] = ++c;
                if (c == kc) {
                    refreshWorst(j);
                }
                return;
            }
            int w = worst[j];
            if (!before(q, i, key[base + w], row[base + w], j)) {
                return;
            }
            key[base + w] = q;
            row[base + w] = i;
            refreshWorst(j);
        }

        private void refreshWorst(int j) {
            int base = j * kc;
            int w = 0;
            for (int s = 1; s < kc; s++) {
                if (before(key[base + w], row[base + w], key[base + s], row[base + s], j)) {
                    w = s;
                }
            }
            worst[j] = w;
            threshold[j] = key[base + w];
        }

        /** The rows each column keeps over all parts (their kc best together), ascending by row. */
        static int[][] merge(ColumnBest[] parts) {
            ColumnBest all = parts[0];
            for (int p = 1; p < parts.length; p++) {
                ColumnBest o = parts[p];
                for (int j = 0; j < all.n; j++) {
                    for (int s = 0; s < o.count[j]; s++) {
                        double q = o.key[j * o.kc + s];
                        if (q <= all.threshold[j]) {
                            all.offer(j, q, o.row[j * o.kc + s]);
                        }
                    }
                }
            }
            int[][] out = new int[all.n][];
            for (int j = 0; j < all.n; j++) {
                out[j] = Arrays.copyOfRange(all.row, j * all.kc, j * all.kc + all.count[j]);
                Arrays.sort(out[j]);
            }
            return out;
        }
    }

    /**
     * Solves and proves with the objective {@code s·a}, where {@code s = sign} (the caller sends matrices that need
     * scaling to the dense solver, since the scan's differences are unscaled). Returns true with {@code rowsol} and
     * the prices {@code v} filled when the proof closes; false when the caller must solve densely.
     */
    boolean certify(double s, int[] rowsol, double[] v) {
        if (nearPermutation) {
            throw new IllegalStateException("the scan stopped after pass one (near permutation): no candidates");
        }
        long t0 = System.nanoTime();
        if (s != sign) {
            throw new IllegalArgumentException("certify needs s = sign (" + sign + "), got " + s);
        }
        double bigA = maxAbs;
        double tol = 1e-12 * Math.max(1.0, bigA);
        int[][] rowCols = this.rowCols.clone();
        double[] rowB = rowBound;
        double[] start = v0;
        SparseAssignment sa = new SparseAssignment(n);
        sa.setPrices(start);
        boolean[] full = new boolean[n];
        while (true) {
            setCsr(sa, rowCols, s);
            while (!sa.solve()) {
                if (++stuckEvents > MAX_STUCK) {
                    return false;
                }
                for (int r : sa.stuckRows()) {
                    rowCols[r] = CosineAssignment.allColumns(n);
                    full[r] = true;
                }
                setCsr(sa, rowCols, s);
            }
            long tSolved = System.nanoTime();
            double[] price = sa.columnDualsView();
            // Δ = the largest price rise since the scan; rounding margin from the magnitudes involved
            double delta = Double.NEGATIVE_INFINITY;
            double maxPrice = 0;
            for (int j = 0; j < n; j++) {
                delta = Math.max(delta, price[j] - start[j]);
                maxPrice = Math.max(maxPrice, Math.abs(price[j]));
            }
            double margin = 0x1p-48 * (3 * bigA + maxPrice + Math.abs(delta));
            int violatingRows = 0;
            int scannedNow = 0;
            for (int i = 0; i < n; i++) {
                // a row widened to all columns has no pairs outside the graph: its edge check is the whole proof
                double threshold = sa.rowDual(i) - tol;
                int[] cols = rowCols[i];
                boolean edgeViolated = false;
                int base = i * n;
                for (int c : cols) {
                    if (s * a[base + c] - price[c] < threshold) {
                        edgeViolated = true;
                        break;
                    }
                }
                if (!edgeViolated && (full[i] || rowB[i] - delta - margin >= threshold)) {
                    continue;
                }
                scannedNow++;
                int[] widened = scanViolations(i, s, price, threshold, cols);
                rowCols[i] = widened;
                if (widened.length > cols.length || edgeViolated) {
                    sa.unassign(i);
                    violatingRows++;
                }
            }
            rowsScanned += scannedNow;
            if (LOG.isDebugEnabled()) {
                LOG.debug(String.format(Locale.ROOT, "sparse-first n=%d k=%d round %d: solved at %.3f s, price rise "
                                + "%.3g, %d rows scanned in the matrix, %d violating, proof done at %.3f s", n, k,
                        rounds, (tSolved - t0) / 1e9, delta, scannedNow, violatingRows,
                        (System.nanoTime() - t0) / 1e9));
            }
            rounds++;
            if (violatingRows == 0) {
                System.arraycopy(sa.columnOfRow(), 0, rowsol, 0, n);
                System.arraycopy(price, 0, v, 0, n);
                return true;
            }
            if (rounds >= MAX_ROUNDS) {
                return false;
            }
        }
    }

    /** Row i's edges {@code cols} and the columns not yet among them whose reduced cost is below the threshold. */
    private int[] scanViolations(int i, double s, double[] price, double threshold, int[] cols) {
        int base = i * n;
        int[] extra = new int[8];
        int nextra = 0;
        for (int j = 0; j < n; j++) {
            if (s * a[base + j] - price[j] < threshold) {
                if (nextra == extra.length) {
                    extra = Arrays.copyOf(extra, nextra * 2);
                }
                extra[nextra++] = j;
            }
        }
        // the ones already present are dropped (an edge that violates only by rounding cannot be added twice)
        return withNew(cols, extra, nextra);
    }

    /** {@code cols} followed by those of {@code more[0..count)} it does not hold ({@code cols} itself if none). */
    private static int[] withNew(int[] cols, int[] more, int count) {
        int[] merged = null;
        int m = cols.length;
        for (int x = 0; x < count; x++) {
            int j = more[x];
            boolean present = false;
            for (int c : cols) {
                if (c == j) {
                    present = true;
                    break;
                }
            }
            if (!present) {
                if (merged == null) {
                    merged = Arrays.copyOf(cols, cols.length + count - x);
                }
                merged[m++] = j;
            }
        }
        return merged == null ? cols : Arrays.copyOf(merged, m);
    }

    private void setCsr(SparseAssignment sa, int[][] rowCols, double s) {
        double[] a = this.a;
        int n = this.n;
        sa.setRows(rowCols, (i, x, c) -> s * a[i * n + c]);
    }
}
