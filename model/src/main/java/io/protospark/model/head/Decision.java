package io.protospark.model.head;

import java.io.Serializable;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Prediction rules over an N×d embedding matrix F (row i = f_i) and a K×d prototype / centre matrix S (row k = s_k),
 * and the Deep Simplex Classifier's open-set score.
 * <ul>
 *   <li>{@link #DOT}: argmax_k f·s_k — the fixed-prototype (RePoNet) head's logits, and the weight-normalised head's
 *   when S holds its unit class vectors ({@link NormalizedDense#normalizedRows}).</li>
 *   <li>{@link #COSINE}: argmax_k cos(f, s_k) (DL2PA, DSC rule 2).</li>
 *   <li>{@link #EUCLIDEAN}: argmin_k ‖f − s_k‖ (DSC rule 1, nearest centre).</li>
 *   <li>{@link #COMBINED}: argmin_k ‖f − s_k‖/(2 + cos(f, s_k)) (DSC rule 3).</li>
 * </ul>
 * Open-set score (DSC): max_k 1/(1 + ‖f − s_k‖²), in (0, 1], exactly 1 when f is a centre.
 *
 * <p>Vectorised: one GEMM F·Sᵀ per chunk of rows and ‖f − s‖² = ‖f‖² + ‖s‖² − 2f·s, so no N×K×d array exists and
 * S is never copied or widened (K = 12,000 by d = 12,500 floats is 600 MB); rows are processed in chunks of at
 * most {@value #CHUNK_ENTRIES} scores. The GEMM runs in the data type of S (F is cast to it). The expansion loses
 * precision near a centre when the radius is large (in float, ‖f‖² ≈ 10⁶ for radius 1000), so the open-set score
 * recomputes ‖f − s_k‖² directly, in double, for the nearest centre it found. Cosines use max(‖f‖‖s_k‖, 1e-12) as
 * the denominator, so a zero vector has cosine 0 with everything. Ties go to the lowest class index.
 *
 * <p>With f exactly on s_k all four rules return k provided the prototypes have equal norms (for DOT this is
 * needed: a longer prototype in a similar direction wins the dot product).
 *
 * <p>An enum, hence {@link Serializable}: it travels to Spark executors inside closures; it holds no state.
 */
public enum Decision {
    /** argmax_k f·s_k. */
    DOT,
    /** argmax_k cos(f, s_k). */
    COSINE,
    /** argmin_k ‖f − s_k‖. */
    EUCLIDEAN,
    /** argmin_k ‖f − s_k‖/(2 + cos(f, s_k)). */
    COMBINED;

    /** Largest number of N×K scores held at once (4M doubles = 32 MB). */
    public static final int CHUNK_ENTRIES = 1 << 22;
    /** Lower clamp of ‖f‖·‖s_k‖ in the cosine. */
    public static final double COSINE_EPS = 1e-12;

    /** The rule's configuration name: {@code dot}, {@code cosine}, {@code euclidean}, {@code combined}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration name (case-insensitive), e.g. "combined". */
    public static Decision fromName(String name) {
        for (Decision d : values()) {
            if (d.configName().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown decision rule '" + name + "'; expected one of "
                + Arrays.toString(Arrays.stream(values()).map(Decision::configName).toArray()));
    }

    /** Predicted class of every row of F (length N). */
    public int[] predict(INDArray embeddings, INDArray prototypes) {
        return evaluate(embeddings, prototypes, this, false).predictions(this);
    }

    /** The DSC open-set (known-ness) score max_k 1/(1 + ‖f − s_k‖²) of every row of F. */
    public static double[] openSetScore(INDArray embeddings, INDArray prototypes) {
        return evaluate(embeddings, prototypes, null, true).openSetScores();
    }

    /** All four rules and the open-set score from one pass (one GEMM per chunk). */
    public static Outcome evaluateAll(INDArray embeddings, INDArray prototypes) {
        return evaluate(embeddings, prototypes, null, true);
    }

    /**
     * Predictions of the rules that were computed and, when computed, the open-set scores. Serializable (plain
     * arrays).
     */
    public static final class Outcome implements Serializable {
        private static final long serialVersionUID = 1L;
        private final EnumMap<Decision, int[]> predictions;
        private final double[] scores;

        Outcome(EnumMap<Decision, int[]> predictions, double[] scores) {
            this.predictions = predictions;
            this.scores = scores;
        }

        /** Predicted classes under {@code rule} (a copy). */
        public int[] predictions(Decision rule) {
            int[] p = predictions.get(rule);
            if (p == null) {
                throw new IllegalStateException("rule " + rule + " was not evaluated; computed: "
                        + predictions.keySet());
            }
            return p.clone();
        }

        /** Open-set scores (a copy). */
        public double[] openSetScores() {
            if (scores == null) {
                throw new IllegalStateException("open-set scores were not computed");
            }
            return scores.clone();
        }

        /** Number of rows. */
        public int size() {
            return scores != null ? scores.length : predictions.values().iterator().next().length;
        }
    }

    private static Outcome evaluate(INDArray f, INDArray s, Decision only, boolean score) {
        return evaluate(f, s, only, score, CHUNK_ENTRIES);
    }

    /** {@code only} = null: every rule. {@code chunkEntries}: most scores held at once (tests use small values). */
    static Outcome evaluate(INDArray f, INDArray s, Decision only, boolean score, int chunkEntries) {
        check(f, s);
        int n = (int) f.rows();
        int k = (int) s.rows();
        DataType dt = s.dataType();
        double[] sNormSq = s.norm2(1).castTo(DataType.DOUBLE).toDoubleVector();
        for (int j = 0; j < k; j++) {
            sNormSq[j] *= sNormSq[j];
        }
        Decision[] rules = only == null ? values() : new Decision[] {only};
        EnumMap<Decision, int[]> pred = new EnumMap<>(Decision.class);
        for (Decision r : rules) {
            pred.put(r, new int[n]);
        }
        double[] scores = score ? new double[n] : null;
        int chunk = Math.max(1, Math.min(n, chunkEntries / k));
        for (int start = 0; start < n; start += chunk) {
            int end = Math.min(n, start + chunk);
            INDArray fc = f.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
            INDArray fd = fc.castTo(DataType.DOUBLE);
            double[] fNormSq = fd.mul(fd).sum(1).toDoubleVector();
            // BLAS transposes S itself: no K×d copy
            INDArray g = Nd4j.createUninitialized(dt, new long[] {end - start, k}, 'f');
            Nd4j.gemm(fc.castTo(dt), s, g, false, true, 1.0, 0.0);
            double[][] dots = io.protospark.model.io.HostArrays.rows(g);
            int[] nearest = new int[end - start];
            for (int i = 0; i < end - start; i++) {
                scoreRow(dots[i], fNormSq[i], sNormSq, rules, pred, start + i);
                if (scores != null) {
                    nearest[i] = pred.containsKey(EUCLIDEAN) ? pred.get(EUCLIDEAN)[start + i]
                            : nearest(dots[i], fNormSq[i], sNormSq);
                }
            }
            if (scores != null) {
                // the exact squared distance to the nearest centre, in double, from the gathered rows
                INDArray diff = fd.sub(Nd4j.pullRows(s, 1, nearest).castTo(DataType.DOUBLE));
                double[] d2 = diff.muli(diff).sum(1).toDoubleVector();
                for (int i = 0; i < d2.length; i++) {
                    scores[start + i] = 1.0 / (1.0 + d2[i]);
                }
            }
        }
        return new Outcome(pred, scores);
    }

    /**
     * All four rules (no open-set score) for rows whose f·s_k ({@code dots[i][k]}), ‖f_i‖² and ‖s_k‖² are already
     * known, in double: the same per-row comparisons as the INDArray methods, for callers that have F·Sᵀ anyway.
     */
    public static Outcome fromDots(double[][] dots, double[] fNormSq, double[] sNormSq) {
        if (dots.length != fNormSq.length) {
            throw new IllegalArgumentException(dots.length + " rows of dot products but " + fNormSq.length
                    + " squared norms");
        }
        EnumMap<Decision, int[]> pred = new EnumMap<>(Decision.class);
        for (Decision r : values()) {
            pred.put(r, new int[dots.length]);
        }
        for (int i = 0; i < dots.length; i++) {
            if (dots[i].length != sNormSq.length) {
                throw new IllegalArgumentException("row " + i + " has " + dots[i].length + " dot products for "
                        + sNormSq.length + " centres");
            }
            scoreRow(dots[i], fNormSq[i], sNormSq, values(), pred, i);
        }
        return new Outcome(pred, null);
    }

    private static void scoreRow(double[] dot, double fSq, double[] sSq, Decision[] rules,
                                 Map<Decision, int[]> pred, int row) {
        double fNorm = Math.sqrt(fSq);
        for (Decision r : rules) {
            int best = 0;
            double bestValue = Double.NaN;
            for (int j = 0; j < dot.length; j++) {
                double v;
                switch (r) {
                    case DOT -> v = dot[j];
                    case COSINE -> v = dot[j] / Math.max(fNorm * Math.sqrt(sSq[j]), COSINE_EPS);
                    case EUCLIDEAN -> v = -squaredDistance(dot[j], fSq, sSq[j]);
                    case COMBINED -> {
                        double cos = dot[j] / Math.max(fNorm * Math.sqrt(sSq[j]), COSINE_EPS);
                        v = -Math.sqrt(squaredDistance(dot[j], fSq, sSq[j])) / (2.0 + cos);
                    }
                    default -> throw new IllegalStateException("rule " + r);
                }
                // strict comparison: the lowest index wins ties; NaN never wins
                if (j == 0 || v > bestValue || (Double.isNaN(bestValue) && !Double.isNaN(v))) {
                    best = j;
                    bestValue = v;
                }
            }
            pred.get(r)[row] = best;
        }
    }

    private static int nearest(double[] dot, double fSq, double[] sSq) {
        int best = 0;
        double bestValue = Double.POSITIVE_INFINITY;
        for (int j = 0; j < dot.length; j++) {
            double v = squaredDistance(dot[j], fSq, sSq[j]);
            if (v < bestValue) {
                best = j;
                bestValue = v;
            }
        }
        return best;
    }

    private static double squaredDistance(double dot, double fSq, double sSq) {
        return Math.max(0.0, fSq + sSq - 2.0 * dot);
    }

    private static void check(INDArray f, INDArray s) {
        if (f == null || s == null) {
            throw new IllegalArgumentException("embeddings and prototypes must not be null");
        }
        if (s.rank() != 2 || s.rows() < 1 || s.columns() < 1) {
            throw new IllegalArgumentException("prototypes must be a non-empty K×d matrix, got shape "
                    + Arrays.toString(s.shape()));
        }
        if (f.rank() != 2 || f.columns() != s.columns()) {
            throw new IllegalArgumentException("embeddings must be N×" + s.columns() + " to match the K×d prototypes "
                    + Arrays.toString(s.shape()) + ", got shape " + Arrays.toString(f.shape()));
        }
        if (s.rows() > Integer.MAX_VALUE || f.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many rows: embeddings " + f.rows() + ", prototypes " + s.rows());
        }
        if (!s.dataType().isFPType() || !f.dataType().isFPType()) {
            throw new IllegalArgumentException("embeddings and prototypes must be floating point, got "
                    + f.dataType() + " and " + s.dataType());
        }
    }
}
