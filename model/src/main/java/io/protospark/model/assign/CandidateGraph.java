package io.protospark.model.assign;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The top-k cosine candidates of every class among all prototypes, in CSR form, with a per-row bound: the
 * largest cosine of that row that is <em>not</em> a candidate (its (k+1)-th largest), which lets
 * {@link CosineAssignment} prove optimality over all K×K pairs without computing them again.
 *
 * <p>Built from independent row {@link Block}s, so the blocks can be computed anywhere (threads here, Spark
 * executors later) and merged with {@link #of}. Inputs are row-major float matrices whose rows are already L2
 * normalised ({@link #normalizeRows}); cosines are the float32 products of ND4J's gemm on tiles of rows ×
 * columns. Immutable.
 */
public final class CandidateGraph implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Rows × columns of one gemm tile. */
    public static final int TILE_ROWS = 2048;
    static final int TILE_COLS = 8192;

    private final int rows;
    private final int columns;
    private final int[] start;
    private final int[] col;
    private final float[] cos;
    private final float[] bound;

    private CandidateGraph(int rows, int columns, int[] start, int[] col, float[] cos, float[] bound) {
        this.rows = rows;
        this.columns = columns;
        this.start = start;
        this.col = col;
        this.cos = cos;
        this.bound = bound;
    }

    /** The candidates of rows {@code [firstRow, firstRow + rows)}: k columns per row, best first, and bounds. */
    public record Block(int firstRow, int rows, int k, int[] col, float[] cos, float[] bound) implements Serializable {
    }

    /** Merges blocks covering rows 0..rows−1 exactly once. */
    public static CandidateGraph of(int rows, int columns, List<Block> blocks) {
        Block[] byRow = new Block[rows];
        for (Block b : blocks) {
            for (int r = 0; r < b.rows(); r++) {
                if (byRow[b.firstRow() + r] != null) {
                    throw new IllegalArgumentException("row " + (b.firstRow() + r) + " is in two blocks");
                }
                byRow[b.firstRow() + r] = b;
            }
        }
        int[] start = new int[rows + 1];
        for (int i = 0; i < rows; i++) {
            if (byRow[i] == null) {
                throw new IllegalArgumentException("no block holds row " + i);
            }
            start[i + 1] = start[i] + byRow[i].k();
        }
        int[] col = new int[start[rows]];
        float[] cos = new float[start[rows]];
        float[] bound = new float[rows];
        for (int i = 0; i < rows; i++) {
            Block b = byRow[i];
            int r = i - b.firstRow();
            System.arraycopy(b.col(), r * b.k(), col, start[i], b.k());
            System.arraycopy(b.cos(), r * b.k(), cos, start[i], b.k());
            bound[i] = b.bound()[r];
        }
        return new CandidateGraph(rows, columns, start, col, cos, bound);
    }

    /**
     * Computes the graph on this machine: row blocks of {@link #TILE_ROWS}, gemm per tile (ND4J, its own BLAS
     * threads), selection of each tile's rows on {@code threads} Java threads.
     *
     * @param classes    K×d row-major, rows L2-normalised
     * @param prototypes M×d row-major, rows L2-normalised
     */
    public static CandidateGraph compute(float[] classes, int rows, float[] prototypes, int columns, int d, int k,
                                         int threads) {
        int kk = Math.min(k, columns);
        INDArray[] protoTiles = prototypeTiles(prototypes, columns, d);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Block> blocks = new ArrayList<>();
            for (int r0 = 0; r0 < rows; r0 += TILE_ROWS) {
                int nr = Math.min(TILE_ROWS, rows - r0);
                blocks.add(computeBlock(classes, r0, nr, protoTiles, columns, d, kk, pool, threads));
            }
            return of(rows, columns, blocks);
        } finally {
            pool.shutdown();
        }
    }

    /** The prototypes as ND4J tiles of {@link #TILE_COLS} rows each (reusable across blocks). */
    public static INDArray[] prototypeTiles(float[] prototypes, int columns, int d) {
        int tiles = (columns + TILE_COLS - 1) / TILE_COLS;
        INDArray[] out = new INDArray[tiles];
        for (int t = 0; t < tiles; t++) {
            int c0 = t * TILE_COLS;
            int nc = Math.min(TILE_COLS, columns - c0);
            out[t] = Nd4j.create(Arrays.copyOfRange(prototypes, c0 * d, (c0 + nc) * d), new long[] {nc, d}, 'c');
        }
        return out;
    }

    /** The candidates of one block of class rows against all prototype tiles. */
    public static Block computeBlock(float[] classes, int firstRow, int nr, INDArray[] protoTiles, int columns,
                                     int d, int k, ExecutorService pool, int threads) {
        return computeBlock(classes, firstRow, nr, protoTiles, columns, d, k, pool, threads, null);
    }

    /**
     * A prefilter on the leading {@code dims} coordinates: cos(x, p) ≤ x[:dims]·p[:dims] + ‖x[dims:]‖·‖p[dims:]‖
     * (Cauchy–Schwarz), so candidates are chosen by that upper bound from a gemm of {@code dims/d} of the work,
     * their exact cosines are then computed, and the bound on the rest stays rigorous. Pays off when the assigned
     * cosines clearly exceed the tail-norm products (classes close to their prototypes, as after training); rows
     * it cannot prove get their full cosine rows later.
     */
    public record Prefix(int dims, INDArray[] tiles, float[] tailNorms, float[] prototypes) {
        /** Tiles of the prototypes' first {@code dims} coordinates and their tail norms. */
        public static Prefix of(float[] prototypes, int columns, int d, int dims) {
            if (dims < 1 || dims >= d) {
                throw new IllegalArgumentException("prefix dims must lie in [1, " + (d - 1) + "], got " + dims);
            }
            float[] head = new float[columns * dims];
            float[] tail = new float[columns];
            for (int j = 0; j < columns; j++) {
                System.arraycopy(prototypes, j * d, head, j * dims, dims);
                double t = 0;
                for (int x = dims; x < d; x++) {
                    t += (double) prototypes[j * d + x] * prototypes[j * d + x];
                }
                tail[j] = (float) (Math.sqrt(t) * (1 + 1e-6));
            }
            return new Prefix(dims, prototypeTiles(head, columns, dims), tail, prototypes);
        }
    }

    /** Float32 rounding allowance added to prefilter bounds (covers the prefix gemm and the later exact gemm). */
    static final float PREFIX_SLACK = 1e-4f;

    /** As above, optionally with a {@link Prefix} prefilter ({@code null}: exact cosines from the full gemm). */
    public static Block computeBlock(float[] classes, int firstRow, int nr, INDArray[] protoTiles, int columns,
                                     int d, int k, ExecutorService pool, int threads, Prefix prefix) {
        int kk = Math.min(k, columns);
        int cap = kk + 1; // the (k+1)-th largest is the bound on every non-candidate
        float[] heapKey = new float[nr * cap];
        int[] heapCol = new int[nr * cap];
        int[] size = new int[nr];
        int w = prefix == null ? d : prefix.dims();
        float[] rowTail = new float[nr];
        float[] colTail = prefix == null ? new float[columns] : prefix.tailNorms();
        float[] block = new float[nr * w];
        for (int r = 0; r < nr; r++) {
            System.arraycopy(classes, (firstRow + r) * d, block, r * w, w);
            if (prefix != null) {
                double t = 0;
                for (int x = w; x < d; x++) {
                    t += (double) classes[(firstRow + r) * d + x] * classes[(firstRow + r) * d + x];
                }
                rowTail[r] = (float) (Math.sqrt(t) * (1 + 1e-6));
            }
        }
        INDArray a = Nd4j.create(block, new long[] {nr, w}, 'c');
        int c0 = 0;
        float[] tile = null;
        for (INDArray p : prefix == null ? protoTiles : prefix.tiles()) {
            int nc = (int) p.rows();
            INDArray c = Nd4j.create(DataType.FLOAT, new long[] {nr, nc}, 'c');
            Nd4j.gemm(a, p, c, false, true, 1.0, 0.0);
            if (tile == null || tile.length < nr * nc) {
                tile = new float[nr * nc];
            }
            c.data().asNioFloat().get(tile, 0, nr * nc);
            c.close();
            float[] t = tile;
            int colOffset = c0;
            parallelRows(pool, threads, nr, (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    select(t, r * nc, nc, colOffset, heapKey, heapCol, r * cap, size, r, cap, rowTail[r], colTail);
                }
            });
            c0 += nc;
        }
        a.close();
        int[] col = new int[nr * kk];
        float[] cos = new float[nr * kk];
        float[] bound = new float[nr];
        for (int r = 0; r < nr; r++) {
            int base = r * cap;
            int n = size[r];
            // the kept values, largest first (a stable insertion sort of at most k + 1 primitives, no boxing)
            float[] keys = Arrays.copyOfRange(heapKey, base, base + n);
            int[] cols = Arrays.copyOfRange(heapCol, base, base + n);
            sortDescending(keys, cols, n);
            System.arraycopy(cols, 0, col, r * kk, kk);
            System.arraycopy(keys, 0, cos, r * kk, kk);
            bound[r] = n > kk ? keys[kk] : Float.NEGATIVE_INFINITY;
            if (prefix != null) {
                // the keys were upper bounds: exact cosines for the candidates, best first
                int i = firstRow + r;
                float[] exact = new float[kk];
                for (int x = 0; x < kk; x++) {
                    int j = col[r * kk + x];
                    double dot = 0;
                    for (int t = 0; t < d; t++) {
                        dot += (double) classes[i * d + t] * prefix.prototypes()[j * d + t];
                    }
                    exact[x] = (float) dot;
                }
                int[] c = Arrays.copyOfRange(col, r * kk, (r + 1) * kk);
                sortDescending(exact, c, kk);
                System.arraycopy(c, 0, col, r * kk, kk);
                System.arraycopy(exact, 0, cos, r * kk, kk);
                if (n > kk) {
                    bound[r] += PREFIX_SLACK;
                }
            }
        }
        return new Block(firstRow, nr, kk, col, cos, bound);
    }

    /**
     * Sorts {@code keys[0..n)} descending by {@link Float#compare}, carrying {@code cols} along; stable (equal keys
     * keep their order), as the boxed sort it replaces. Insertion sort: n is at most k + 1.
     */
    static void sortDescending(float[] keys, int[] cols, int n) {
        for (int x = 1; x < n; x++) {
            float key = keys[x];
            int c = cols[x];
            int y = x - 1;
            while (y >= 0 && Float.compare(keys[y], key) < 0) {
                keys[y + 1] = keys[y];
                cols[y + 1] = cols[y];
                y--;
            }
            keys[y + 1] = key;
            cols[y + 1] = c;
        }
    }

    /** Keeps the cap largest values of one row segment in a min-heap (root = smallest kept). */
    private static void select(float[] t, int off, int nc, int colOffset, float[] key, int[] cols, int base,
                               int[] size, int r, int cap, float rowTail, float[] colTail) {
        int n = size[r];
        float thr = n == cap ? key[base] : Float.NEGATIVE_INFINITY;
        for (int j = 0; j < nc; j++) {
            float x = t[off + j] + rowTail * colTail[colOffset + j];
            if (x > thr) {
                if (n < cap) {
                    int p = n++;
                    while (p > 0) {
                        int q = (p - 1) >>> 1;
                        if (key[base + q] <= x) {
                            break;
                        }
                        key[base + p] = key[base + q];
                        cols[base + p] = cols[base + q];
                        p = q;
                    }
                    key[base + p] = x;
                    cols[base + p] = colOffset + j;
                    if (n == cap) {
                        thr = key[base];
                    }
                } else {
                    int p = 0;
                    while (true) {
                        int c = 2 * p + 1;
                        if (c >= cap) {
                            break;
                        }
                        if (c + 1 < cap && key[base + c + 1] < key[base + c]) {
                            c++;
                        }
                        if (key[base + c] >= x) {
                            break;
                        }
                        key[base + p] = key[base + c];
                        cols[base + p] = cols[base + c];
                        p = c;
                    }
                    key[base + p] = x;
                    cols[base + p] = colOffset + j;
                    thr = key[base];
                }
            }
        }
        size[r] = n;
    }

    interface RangeTask {
        void run(int lo, int hi);
    }

    static void parallelRows(ExecutorService pool, int threads, int n, RangeTask task) {
        if (threads <= 1 || pool == null || n < 64) {
            task.run(0, n);
            return;
        }
        List<Future<?>> fs = new ArrayList<>();
        int chunk = (n + threads - 1) / threads;
        for (int lo = 0; lo < n; lo += chunk) {
            int a = lo;
            int b = Math.min(n, lo + chunk);
            fs.add(pool.submit(() -> task.run(a, b)));
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /**
     * An L2-normalised copy of a row-major matrix; refuses NaN, infinities and zero rows naming the row
     * ({@code name} is used in messages).
     */
    public static float[] normalizeRows(float[] m, int rows, int d, String name) {
        if ((long) rows * d != m.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s has %d values, expected %d x %d", name,
                    m.length, rows, d));
        }
        float[] out = new float[m.length];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            int base = i * d;
            for (int t = 0; t < d; t++) {
                float x = m[base + t];
                if (!Float.isFinite(x)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s row %d, column %d is %s; every entry must be finite", name, i, t, x));
                }
                s += (double) x * x;
            }
            if (s == 0) {
                throw new IllegalArgumentException(name + " row " + i + " is all zeros and has no direction");
            }
            double inv = 1 / Math.sqrt(s);
            for (int t = 0; t < d; t++) {
                out[base + t] = (float) (m[base + t] * inv);
            }
        }
        return out;
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    /** Number of candidate edges. */
    public long edges() {
        return start[rows];
    }

    /** CSR row starts (length rows + 1), not copied: read only. */
    int[] startView() {
        return start;
    }

    int[] colView() {
        return col;
    }

    float[] cosView() {
        return cos;
    }

    /** Largest cosine of row i outside its candidates (−∞ when every column is a candidate). */
    public float bound(int i) {
        return bound[i];
    }

    /** Row i's candidate columns, best first. */
    public int[] candidates(int i) {
        return Arrays.copyOfRange(col, start[i], start[i + 1]);
    }
}
