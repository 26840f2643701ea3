package io.protospark.model.assign;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * DL2PA's label-to-prototype assignment for many classes (Saadabadi et al., CVPR 2024; METHODS.md §5.3):
 * maximise the total cosine between class memories and prototypes without ever forming the K×K matrix.
 *
 * <p>Steps: (1) a {@link CandidateGraph} of the top-k prototypes per class, with a bound on each row's other
 * cosines; (2) {@link SparseAssignment} on the candidate graph (costs −cos); (3) a proof over <em>all</em> K×K
 * pairs with the final duals: row i is certified when its bound is at most {@code −u_i − max_j v_j} (then no
 * outside pair can have a negative reduced cost); rows that fail have their full cosine row computed, the pairs
 * that violate or nearly violate join the graph, their bound is tightened, and the rows are re-solved from the
 * current prices. A candidate graph without a complete matching gets the full rows of the stuck search tree.
 * The answer is always a complete permutation; {@link Result#provenOptimal()} says whether the proof closed
 * within the round limit. "Optimal" is with respect to the float32 cosines of ND4J's gemm, each compared with a
 * tolerance of {@link Options#tolerance()}.
 *
 * <p>Inputs are row-major float matrices; {@link #solve} L2-normalises copies of the rows (zero rows are
 * refused), {@link #solveNormalized} assumes unit rows.
 */
public final class CosineAssignment {
    /** Pairs within this much of violating join the graph with a failing row, so small price moves stay proven. */
    private static final double MARGIN = 0.02;
    private static final Logger LOG = LoggerFactory.getLogger(CosineAssignment.class);

    private CosineAssignment() {
    }

    /**
     * @param k                candidates per class (≥ 1)
     * @param threads          Java threads for the selection (ND4J's BLAS uses its own)
     * @param maxRounds        proof rounds before giving up the proof (the permutation is still complete)
     * @param tolerance        per-pair slack of the proof, for float32 rounding of the cosines
     * @param denseGapUpTo     when K is at most this, also solve the dense K×K problem and report the gap
     * @param prefixDims       0 (off), the leading coordinates of a cheaper prefilter ({@link CandidateGraph.Prefix}),
     *                         or {@link #AUTO_PREFIX} (the default): chosen from K and d by {@link #autoPrefixDims}
     */
    public record Options(int k, int threads, int maxRounds, double tolerance, int denseGapUpTo, int prefixDims) {
        public Options {
            if (k < 1) {
                throw new IllegalArgumentException("k (candidates per class) must be >= 1, got " + k);
            }
            if (prefixDims < AUTO_PREFIX) {
                throw new IllegalArgumentException("prefix dims must be >= 0, or " + AUTO_PREFIX + " for automatic, "
                        + "got " + prefixDims);
            }
        }

        public static Options defaults() {
            return new Options(32, Runtime.getRuntime().availableProcessors(), 20, 1e-6, 0, AUTO_PREFIX);
        }

        public Options withK(int newK) {
            return new Options(newK, threads, maxRounds, tolerance, denseGapUpTo, prefixDims);
        }

        /** Java threads for the candidate selection (at least 1). */
        public Options withThreads(int newThreads) {
            if (newThreads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + newThreads);
            }
            return new Options(k, newThreads, maxRounds, tolerance, denseGapUpTo, prefixDims);
        }

        public Options withDenseGapUpTo(int n) {
            return new Options(k, threads, maxRounds, tolerance, n, prefixDims);
        }

        /**
         * Candidates from a gemm of the first {@code dims} coordinates (0 = off, {@link #AUTO_PREFIX} = chosen from
         * K and d); see {@link CandidateGraph.Prefix}.
         */
        public Options withPrefixDims(int dims) {
            return new Options(k, threads, maxRounds, tolerance, denseGapUpTo, dims);
        }
    }

    /** {@link Options#prefixDims()} value: pick the prefix width from K and d ({@link #autoPrefixDims}). */
    public static final int AUTO_PREFIX = -1;
    /** Candidate gemm work (K²·d multiply-adds) from which the automatic prefix is on: 2^38, K ≈ 23 000 at d = 512. */
    static final long AUTO_PREFIX_FROM_WORK = 1L << 38;
    /** Narrowest d for which the automatic prefix is on. */
    static final int AUTO_PREFIX_MIN_DIM = 128;

    /**
     * The prefix width used when none is given: half of d, rounded down to a multiple of 16, when the candidate
     * gemm is large (K²·d ≥ 2^38 multiply-adds) and d ≥ 128; 0 (full gemm) otherwise. Why half: for unit rows the
     * prefilter bound over-estimates a pair's cosine by up to ‖x_tail‖·‖p_tail‖, about (d − w)/d for directions
     * spread over all coordinates, plus the head's noise (≈ 4.5·√w/d for the largest of K ≈ 10^5 random
     * pairs); w = d/2 keeps that near 0.5–0.65 at d = 128–512, below the cosines of trained class memories to their
     * prototypes (0.8–0.9), so the bound still proves the rows while the gemm does half the work; a narrower
     * prefix's slack (0.75 + noise at d/4) comes too close to them. Small problems skip it: the gemm is cheap and
     * rows the bound cannot prove cost a full cosine row each. Rows it fails to prove get their full cosine rows,
     * so the answer is exact either way; the worst case costs 1.5 gemms instead of one.
     */
    public static int autoPrefixDims(int classCount, int d) {
        if (d < AUTO_PREFIX_MIN_DIM || (long) classCount * classCount * d < AUTO_PREFIX_FROM_WORK) {
            return 0;
        }
        return d / 2 / 16 * 16;
    }

    /** The prefix width a solve with {@code requested} uses for K×d inputs (0 = full gemm). */
    public static int prefixDimsFor(int classCount, int d, int requested) {
        int w = requested == AUTO_PREFIX ? autoPrefixDims(classCount, d) : requested;
        return w > 0 && w < d ? w : 0;
    }

    /**
     * The outcome. {@code assignment} is in the maximisation convention (duals with
     * {@code rowDual[i] + columnDual[j] >= cos[i][j]} on every proven pair). {@code gap} is the dense optimum minus
     * this objective (NaN when not computed).
     */
    public record Result(Assignment assignment, boolean provenOptimal, int rounds, long edges, int k,
                         long fullRows, double candidateSeconds, double solveSeconds, double gap) {
        public double objective() {
            return assignment.objective();
        }
    }

    /** Normalises copies of both matrices' rows, then {@link #solveNormalized}. */
    public static Result solve(float[] classes, float[] prototypes, int classCount, int d, Options options) {
        float[] q = CandidateGraph.normalizeRows(classes, classCount, d, "class memories");
        float[] p = CandidateGraph.normalizeRows(prototypes, classCount, d, "prototypes");
        return solveNormalized(q, p, classCount, d, options);
    }

    /**
     * Computes the candidate blocks of a K×d class matrix against the prototypes, covering rows 0..K−1 exactly
     * once; rows assumed L2-normalised. The default runs on this machine's threads; a distributed implementation
     * (for example on Spark executors) computes blocks where the data is and returns them here.
     */
    @FunctionalInterface
    public interface BlockSource {
        List<CandidateGraph.Block> blocks(float[] classes, float[] prototypes, int n, int d, int k);
    }

    /** As {@link #solveNormalized(float[], float[], int, int, Options)} with candidates from {@code source}. */
    public static Result solveNormalized(float[] classes, float[] prototypes, int n, int d, Options o,
                                         BlockSource source) {
        if ((long) n * d != classes.length || (long) n * d != prototypes.length) {
            throw new IllegalArgumentException("class memories and prototypes must both be " + n + " x " + d
                    + "; found " + classes.length + " and " + prototypes.length + " values");
        }
        long t0 = System.nanoTime();
        CandidateGraph graph = CandidateGraph.of(n, n, source.blocks(classes, prototypes, n, d, Math.min(o.k(), n)));
        long t1 = System.nanoTime();
        LOG.info("candidate graph from {}: {} classes, {} edges in {} s", source.getClass().getSimpleName(), n,
                graph.edges(), String.format(java.util.Locale.ROOT, "%.1f", (t1 - t0) / 1e9));
        INDArray[] tiles = CandidateGraph.prototypeTiles(prototypes, n, d);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.threads()));
        try {
            return solveOnGraph(graph, classes, tiles, n, d, o, pool, (t1 - t0) / 1e9);
        } finally {
            pool.shutdown();
            for (INDArray t : tiles) {
                t.close();
            }
        }
    }

    /** Solves with rows assumed L2-normalised (K×d each, row-major). */
    public static Result solveNormalized(float[] classes, float[] prototypes, int n, int d, Options o) {
        if ((long) n * d != classes.length || (long) n * d != prototypes.length) {
            throw new IllegalArgumentException("class memories and prototypes must both be " + n + " x " + d
                    + "; found " + classes.length + " and " + prototypes.length + " values");
        }
        long t0 = System.nanoTime();
        INDArray[] tiles = CandidateGraph.prototypeTiles(prototypes, n, d);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.threads()));
        try {
            List<CandidateGraph.Block> blocks = new ArrayList<>();
            int kk = Math.min(o.k(), n);
            int w = prefixDimsFor(n, d, o.prefixDims());
            CandidateGraph.Prefix prefix = w > 0 ? CandidateGraph.Prefix.of(prototypes, n, d, w) : null;
            for (int r0 = 0; r0 < n; r0 += CandidateGraph.TILE_ROWS) {
                int nr = Math.min(CandidateGraph.TILE_ROWS, n - r0);
                blocks.add(CandidateGraph.computeBlock(classes, r0, nr, tiles, n, d, kk, pool, o.threads(), prefix));
            }
            if (prefix != null) {
                for (INDArray t : prefix.tiles()) {
                    t.close();
                }
            }
            CandidateGraph graph = CandidateGraph.of(n, n, blocks);
            long t1 = System.nanoTime();
            LOG.info("candidate graph: {} classes, top-{} prototypes each, {} edges in {} s", n, kk, graph.edges(),
                    String.format(java.util.Locale.ROOT, "%.1f", (t1 - t0) / 1e9));
            Result r = solveOnGraph(graph, classes, tiles, n, d, o, pool, (t1 - t0) / 1e9);
            if (n <= o.denseGapUpTo()) {
                double[] dense = cosineMatrix(classes, tiles, n, d);
                Assignment best = LinearAssignment.solveMax(dense, n);
                double mine = 0;
                for (int i = 0; i < n; i++) {
                    mine += dense[i * n + r.assignment().columnOf(i)];
                }
                r = new Result(r.assignment(), r.provenOptimal(), r.rounds(), r.edges(), r.k(), r.fullRows(),
                        r.candidateSeconds(), r.solveSeconds(), best.objective() - mine);
            }
            return r;
        } finally {
            pool.shutdown();
            for (INDArray t : tiles) {
                t.close();
            }
        }
    }

    private static Result solveOnGraph(CandidateGraph g, float[] classes, INDArray[] tiles, int n, int d, Options o,
                                       ExecutorService pool, double candidateSeconds) {
        long t0 = System.nanoTime();
        // per-row edges: the graph's, plus rows widened during the proof
        int[][] rowCols = new int[n][];
        float[][] rowCos = new float[n][];
        double[] bound = new double[n];
        int[] start = g.startView();
        for (int i = 0; i < n; i++) {
            bound[i] = g.bound(i);
        }
        SparseAssignment sa = new SparseAssignment(n);
        setGraph(sa, g, rowCols, rowCos);
        long fullRows = 0;
        int rounds = 0;
        boolean proven = false;
        while (rounds < o.maxRounds()) {
            rounds++;
            while (!sa.solve()) {
                // no complete matching in the graph: give the stuck search tree's rows all their columns (a full
                // row is never stuck again, so this ends)
                int[] stuck = sa.stuckRows();
                float[][] full = fullRows(classes, stuck, tiles, n, d);
                fullRows += stuck.length;
                for (int s = 0; s < stuck.length; s++) {
                    int i = stuck[s];
                    rowCols[i] = allColumns(n);
                    rowCos[i] = full[s];
                    bound[i] = Double.NEGATIVE_INFINITY;
                }
                setGraph(sa, g, rowCols, rowCos);
            }
            double[] v = sa.columnDualsView();
            double vmax = Double.NEGATIVE_INFINITY;
            for (double x : v) {
                vmax = Math.max(vmax, x);
            }
            // rows whose bound does not prove them
            List<Integer> failing = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double limit = -sa.rowDual(i) - vmax + o.tolerance();
                if (bound[i] > limit) {
                    failing.add(i);
                }
            }
            LOG.info("round {}: {} of {} classes not yet proven by their bound", rounds, failing.size(), n);
            if (failing.isEmpty()) {
                proven = true;
                break;
            }
            int[] rows = failing.stream().mapToInt(Integer::intValue).toArray();
            for (int c0 = 0; c0 < rows.length; c0 += 256) {
                int[] chunk = Arrays.copyOfRange(rows, c0, Math.min(rows.length, c0 + 256));
                float[][] full = fullRows(classes, chunk, tiles, n, d);
                fullRows += chunk.length;
                for (int s = 0; s < chunk.length; s++) {
                    int i = chunk[s];
                    double u = sa.rowDual(i);
                    if (widen(i, full[s], u, v, vmax, o.tolerance(), rowCols, rowCos, bound)) {
                        sa.unassign(i);
                    }
                }
            }
            // the added edges must be in the solver's graph: the bounds no longer cover them
            setGraph(sa, g, rowCols, rowCos);
        }
        if (!proven) {
            // the last round widened rows and freed some: match them again (the proof stays open)
            while (!sa.solve()) {
                int[] stuck = sa.stuckRows();
                float[][] full = fullRows(classes, stuck, tiles, n, d);
                fullRows += stuck.length;
                for (int s = 0; s < stuck.length; s++) {
                    rowCols[stuck[s]] = allColumns(n);
                    rowCos[stuck[s]] = full[s];
                }
                setGraph(sa, g, rowCols, rowCos);
            }
        }
        int[] sigma = sa.columnOfRow();
        double objective = 0;
        double[] u = new double[n];
        double[] vOut = new double[n];
        double[] v = sa.columnDualsView();
        for (int j = 0; j < n; j++) {
            vOut[j] = -v[j];
        }
        for (int i = 0; i < n; i++) {
            objective += -sa.matchedCost(i);
            u[i] = -sa.rowDual(i);
        }
        long edges = 0;
        for (int i = 0; i < n; i++) {
            edges += rowCols[i] == null ? start[i + 1] - start[i] : rowCols[i].length;
        }
        Assignment a = new Assignment(sigma, objective, u, vOut, true);
        return new Result(a, proven, rounds, edges, Math.min(o.k(), n), fullRows, candidateSeconds,
                (System.nanoTime() - t0) / 1e9, Double.NaN);
    }

    /**
     * Adds to row i every column whose cosine comes within {@link #MARGIN} of the row's proof limit and
     * tightens its bound to the best column left out. Returns true when a present edge is violated (the row must be
     * re-solved).
     */
    private static boolean widen(int i, float[] full, double u, double[] v, double vmax, double tol,
                                 int[][] rowCols, float[][] rowCos, double[] bound) {
        double limit = -u - vmax;
        boolean violated = false;
        boolean[] present = new boolean[full.length];
        int[] cols = rowCols[i];
        for (int c : cols) {
            present[c] = true;
        }
        int[] addCols = new int[16];
        int nadd = 0;
        double newBound = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < full.length; j++) {
            if (present[j]) {
                continue;
            }
            double c = full[j];
            if (c > -u - v[j] + tol) {
                violated = true;
            }
            if (c > limit - MARGIN || c > -u - v[j] + tol) {
                if (nadd == addCols.length) {
                    addCols = Arrays.copyOf(addCols, nadd * 2);
                }
                addCols[nadd++] = j;
            } else if (c > newBound) {
                newBound = c;
            }
        }
        int old = cols.length;
        int[] merged = Arrays.copyOf(cols, old + nadd);
        float[] mergedCos = Arrays.copyOf(rowCos[i], old + nadd);
        for (int x = 0; x < nadd; x++) {
            merged[old + x] = addCols[x];
            mergedCos[old + x] = full[addCols[x]];
        }
        rowCols[i] = merged;
        rowCos[i] = mergedCos;
        bound[i] = newBound;
        return violated;
    }

    private static void setGraph(SparseAssignment sa, CandidateGraph g, int[][] rowCols, float[][] rowCos) {
        int n = g.rows();
        int[] gs = g.startView();
        int[] gc = g.colView();
        float[] gcos = g.cosView();
        for (int i = 0; i < n; i++) {
            if (rowCols[i] == null) {
                rowCols[i] = Arrays.copyOfRange(gc, gs[i], gs[i + 1]);
                rowCos[i] = Arrays.copyOfRange(gcos, gs[i], gs[i + 1]);
            }
        }
        sa.setRows(rowCols, (i, x, c) -> -rowCos[i][x]);
    }

    /** 0, 1, …, n − 1: a row whose candidate set is every column. */
    static int[] allColumns(int n) {
        int[] all = new int[n];
        for (int j = 0; j < n; j++) {
            all[j] = j;
        }
        return all;
    }

    /** Exact (float32 gemm) cosines of the given class rows against every prototype. */
    static float[][] fullRows(float[] classes, int[] rows, INDArray[] tiles, int n, int d) {
        float[] a = new float[rows.length * d];
        for (int s = 0; s < rows.length; s++) {
            System.arraycopy(classes, rows[s] * d, a, s * d, d);
        }
        float[][] out = new float[rows.length][n];
        try (INDArray x = Nd4j.create(a, new long[] {rows.length, d}, 'c')) {
            int c0 = 0;
            for (INDArray p : tiles) {
                int nc = (int) p.rows();
                try (INDArray c = Nd4j.create(DataType.FLOAT, new long[] {rows.length, nc}, 'c')) {
                    Nd4j.gemm(x, p, c, false, true, 1.0, 0.0);
                    java.nio.FloatBuffer fb = c.data().asNioFloat();
                    for (int s = 0; s < rows.length; s++) {
                        fb.position(s * nc);
                        fb.get(out[s], c0, nc);
                    }
                }
                c0 += nc;
            }
        }
        return out;
    }

    /** The dense n×n cosine matrix (float32 gemm, widened to double) of normalised rows, row-major. */
    static double[] cosineMatrix(float[] classes, INDArray[] tiles, int n, int d) {
        double[] m = new double[n * n];
        for (int r0 = 0; r0 < n; r0 += 256) {
            int nr = Math.min(256, n - r0);
            int[] chunk = new int[nr];
            for (int s = 0; s < nr; s++) {
                chunk[s] = r0 + s;
            }
            float[][] full = fullRows(classes, chunk, tiles, n, d);
            for (int s = 0; s < nr; s++) {
                for (int j = 0; j < n; j++) {
                    m[(r0 + s) * n + j] = full[s][j];
                }
            }
        }
        return m;
    }

    /** The dense cosine matrix of two K×d row-major matrices (rows normalised here), as {@link #solve} sees it. */
    public static double[] cosineMatrix(float[] classes, float[] prototypes, int n, int d) {
        float[] q = CandidateGraph.normalizeRows(classes, n, d, "class memories");
        float[] p = CandidateGraph.normalizeRows(prototypes, n, d, "prototypes");
        INDArray[] tiles = CandidateGraph.prototypeTiles(p, n, d);
        try {
            return cosineMatrix(q, tiles, n, d);
        } finally {
            for (INDArray t : tiles) {
                t.close();
            }
        }
    }
}
