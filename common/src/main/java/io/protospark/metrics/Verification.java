package io.protospark.metrics;

import java.util.Arrays;

/**
 * Face-verification accuracy and TAR@FAR with 10-fold cross-validation, as InsightFace's
 * {@code recognition/arcface_torch/eval/verification.py} (github.com/deepinsight/insightface; {@code evaluate},
 * {@code calculate_roc}, {@code calculate_accuracy}, {@code calculate_val}, {@code calculate_val_far}; the LFW
 * protocol code of D. Sandberg's facenet), without its PCA option.
 *
 * <ul>
 *   <li>Input: the embeddings of the two members of each pair, already flip-summed and L2-normalised by the caller
 *       ({@link #l2normalize(double[][])} does what {@code sklearn.preprocessing.normalize} does), and
 *       {@code issame} per pair. The distance is the squared Euclidean distance
 *       {@code np.sum(np.square(e1 - e2), 1)} ({@link #squaredDistances}); a pair is predicted "same" when
 *       {@code dist < threshold} (strictly).</li>
 *   <li>Folds: scikit-learn's {@code KFold(n_splits=folds, shuffle=False)} over the pair indices: contiguous test
 *       blocks, the first {@code n % folds} one pair larger; train = the rest ({@link #foldTestRanges}). With
 *       {@code folds = 1} the reference's {@code LFold} uses every pair for both train and test.</li>
 *   <li>Accuracy ({@link #calculateRoc}): on each fold's train part, the threshold of best accuracy
 *       ({@code np.argmax}: the first, i.e. smallest, among equal accuracies); the fold's accuracy is the test
 *       part's at that threshold. TPR and FPR per threshold on each test part ({@code tpr = 0} when there is no
 *       same pair, {@code fpr = 0} when there is no different pair), averaged over folds.</li>
 *   <li>TAR@FAR ({@link #calculateVal}): on each train part, the false-accept rate per threshold
 *       ({@code far_train}); if {@code max(far_train) >= far_target}, the threshold is
 *       {@code scipy.interpolate.interp1d(far_train, thresholds, kind='slinear')(far_target)}
 *       ({@link #slinear}: SciPy ≤ 1.8's behaviour, the only one under which the reference runs), else 0.0; then TAR
 *       and FAR on the test part at that threshold.</li>
 *   <li>{@link #evaluate}: thresholds {@code np.arange(0, 4, 0.01)} (400) for accuracy and
 *       {@code np.arange(0, 4, 0.001)} (4000) for TAR@FAR, FAR target 1e-3, 10 folds — the reference's
 *       {@code evaluate} uses the finer grid for TAR@FAR.</li>
 * </ul>
 *
 * <p>Deviations, all on inputs the reference mishandles: it silently uses {@code min(len(issame), n)} pairs where
 * this class refuses mismatched lengths; it raises {@code ZeroDivisionError} in {@code calculate_val_far} when a
 * fold part has no same or no different pair, where this class throws {@link IllegalArgumentException}.
 * Distances are summed in NumPy's pairwise order, so they match NumPy bit for bit.
 */
public final class Verification {
    private Verification() {
    }

    /** The reference's number of folds. */
    public static final int FOLDS = 10;

    /** The reference's target false-accept rate for TAR@FAR. */
    public static final double FAR_TARGET = 1e-3;

    /**
     * {@code np.arange(0, count * step, step)} as NumPy computes it: {@code i * step} for {@code i < count}.
     *
     * @param count ≥ 1
     * @param step  finite, > 0
     */
    public static double[] thresholds(int count, double step) {
        if (count < 1) {
            throw Checks.bad("count is " + count + "; expected >= 1");
        }
        if (!(step > 0) || Double.isInfinite(step)) {
            throw Checks.bad("step is " + step + "; expected a finite number > 0");
        }
        double[] t = new double[count];
        for (int i = 0; i < count; i++) {
            t[i] = i * step;
        }
        return t;
    }

    /** {@code np.arange(0, 4, 0.01)}: the 400 accuracy thresholds of the reference's {@code evaluate}. */
    public static double[] accuracyThresholds() {
        return thresholds(400, 0.01);
    }

    /** {@code np.arange(0, 4, 0.001)}: the 4000 TAR@FAR thresholds of the reference's {@code evaluate}. */
    public static double[] valThresholds() {
        return thresholds(4000, 0.001);
    }

    // --------------------------------------------------------------------------------------------- vectors

    /**
     * {@code sklearn.preprocessing.normalize(v[None, :])[0]} (norm 'l2'): {@code v / ||v||}, a zero vector left as
     * it is. The norm's sum of squares is NumPy's pairwise sum (scikit-learn uses {@code einsum}, which may differ
     * in the last bit).
     *
     * @throws IllegalArgumentException {@code v} null, empty or not finite
     */
    public static double[] l2normalize(double[] v) {
        Checks.finite(v, "v");
        Checks.nonEmpty(v.length, "v");
        double[] sq = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            sq[i] = v[i] * v[i];
        }
        double norm = Math.sqrt(NumpyArith.sum(sq));
        if (norm == 0.0) {
            norm = 1.0;
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / norm;
        }
        return out;
    }

    /** {@link #l2normalize(double[])} of each row. */
    public static double[][] l2normalize(double[][] rows) {
        Checks.matrix(rows, "rows", 1);
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            try {
                out[i] = l2normalize(rows[i]);
            } catch (IllegalArgumentException e) {
                throw Checks.bad("rows[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * {@code np.sum(np.square(np.subtract(e1, e2)), 1)}: the squared Euclidean distance of each pair, summed in
     * NumPy's pairwise order (bit-identical to NumPy for float64 input).
     *
     * @param embeddings1 n × d, finite
     * @param embeddings2 n × d, finite
     */
    public static double[] squaredDistances(double[][] embeddings1, double[][] embeddings2) {
        int d1 = Checks.matrix(embeddings1, "embeddings1", 1);
        int d2 = Checks.matrix(embeddings2, "embeddings2", 1);
        Checks.sameLength(embeddings1.length, "embeddings1", embeddings2.length, "embeddings2");
        if (d1 != d2) {
            throw Checks.bad("embeddings1 has " + d1 + " columns but embeddings2 has " + d2
                    + "; expected the same dimension");
        }
        double[] dist = new double[embeddings1.length];
        double[] sq = new double[d1];
        for (int i = 0; i < dist.length; i++) {
            for (int j = 0; j < d1; j++) {
                double a = embeddings1[i][j];
                double b = embeddings2[i][j];
                if (!Double.isFinite(a) || !Double.isFinite(b)) {
                    throw Checks.bad((Double.isFinite(a) ? "embeddings2" : "embeddings1") + "[" + i + "][" + j
                            + "] is " + (Double.isFinite(a) ? b : a) + "; expected a finite number");
                }
                double diff = a - b;
                sq[j] = diff * diff;
            }
            dist[i] = NumpyArith.sum(sq);
        }
        return dist;
    }

    // ----------------------------------------------------------------------------------------------- folds

    /**
     * The test block {@code [start, end)} of each fold of scikit-learn's {@code KFold(n_splits=folds,
     * shuffle=False)} over {@code n} samples: sizes {@code n / folds}, the first {@code n % folds} one larger. With
     * {@code folds = 1}, the single "fold" is {@code [0, n)} and is also its own train part (the reference's
     * {@code LFold}).
     *
     * @param n     number of samples, ≥ folds
     * @param folds ≥ 1
     * @return {@code folds} pairs {@code {start, end}}
     */
    public static int[][] foldTestRanges(int n, int folds) {
        if (folds < 1) {
            throw Checks.bad("folds is " + folds + "; expected >= 1");
        }
        if (n < folds) {
            throw Checks.bad("n is " + n + "; expected at least folds = " + folds
                    + " samples (KFold refuses more splits than samples)");
        }
        int[][] r = new int[folds][2];
        int start = 0;
        for (int f = 0; f < folds; f++) {
            int size = n / folds + (f < n % folds ? 1 : 0);
            r[f][0] = start;
            r[f][1] = start + size;
            start += size;
        }
        return r;
    }

    /** Sorted distances of the same and the different pairs of one part, for counting {@code dist < t}. */
    private static final class Part {
        final double[] same;
        final double[] diff;

        Part(double[] dist, boolean[] issame, int[] idx) {
            int ns = 0;
            for (int i : idx) {
                if (issame[i]) {
                    ns++;
                }
            }
            same = new double[ns];
            diff = new double[idx.length - ns];
            int a = 0;
            int b = 0;
            for (int i : idx) {
                if (issame[i]) {
                    same[a++] = dist[i];
                } else {
                    diff[b++] = dist[i];
                }
            }
            Arrays.sort(same);
            Arrays.sort(diff);
        }

        int size() {
            return same.length + diff.length;
        }

        /** Same pairs with {@code dist < t}: true accepts. */
        int tp(double t) {
            return below(same, t);
        }

        /** Different pairs with {@code dist < t}: false accepts. */
        int fp(double t) {
            return below(diff, t);
        }

        private static int below(double[] sorted, double t) {
            int lo = 0;
            int hi = sorted.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] < t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        /** {@code calculate_accuracy}'s accuracy {@code (tp + tn) / size}. */
        double accuracy(double t) {
            int tp = tp(t);
            int tn = diff.length - fp(t);
            return (double) (tp + tn) / size();
        }

        /** {@code calculate_accuracy}'s tpr: 0 when there is no same pair. */
        double tpr(double t) {
            return same.length == 0 ? 0.0 : (double) tp(t) / same.length;
        }

        /** {@code calculate_accuracy}'s fpr: 0 when there is no different pair. */
        double fpr(double t) {
            return diff.length == 0 ? 0.0 : (double) fp(t) / diff.length;
        }
    }

    private static Part[][] parts(double[] dist, boolean[] issame, int folds) {
        int n = dist.length;
        int[][] ranges = foldTestRanges(n, folds);
        Part[][] p = new Part[folds][2];
        for (int f = 0; f < folds; f++) {
            int s = ranges[f][0];
            int e = ranges[f][1];
            int[] test = new int[e - s];
            for (int i = s; i < e; i++) {
                test[i - s] = i;
            }
            int[] train;
            if (folds == 1) {
                train = test;
            } else {
                train = new int[n - test.length];
                int k = 0;
                for (int i = 0; i < n; i++) {
                    if (i < s || i >= e) {
                        train[k++] = i;
                    }
                }
            }
            p[f][0] = new Part(dist, issame, train);
            p[f][1] = new Part(dist, issame, test);
        }
        return p;
    }

    private static void checkInputs(double[] thresholds, double[] dist, boolean[] issame) {
        Checks.noNaN(thresholds, "thresholds");
        Checks.nonEmpty(thresholds.length, "thresholds");
        Checks.noNaN(dist, "dist");
        Checks.notNull(issame, "issame");
        Checks.sameLength(dist.length, "dist", issame.length, "issame");
        Checks.nonEmpty(dist.length, "dist");
    }

    // ------------------------------------------------------------------------------------------- accuracy

    /**
     * {@code calculate_roc(thresholds, e1, e2, issame, nrof_folds=folds, pca=0)} on precomputed squared distances.
     *
     * @param thresholds distance thresholds, in the order {@code np.argmax} scans them (ascending for the
     *                   reference's {@code np.arange})
     * @param dist       squared distance of each pair, no NaN
     * @param issame     whether each pair is of the same identity
     * @param folds      ≥ 1, ≤ number of pairs
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static VerificationRoc calculateRoc(double[] thresholds, double[] dist, boolean[] issame, int folds) {
        checkInputs(thresholds, dist, issame);
        Part[][] parts = parts(dist, issame, folds);
        int nt = thresholds.length;
        double[][] tprs = new double[folds][nt];
        double[][] fprs = new double[folds][nt];
        double[] accuracy = new double[folds];
        double[] best = new double[folds];
        for (int f = 0; f < folds; f++) {
            Part train = parts[f][0];
            Part test = parts[f][1];
            int bestIdx = 0;
            double bestAcc = train.accuracy(thresholds[0]);
            for (int t = 1; t < nt; t++) {
                double acc = train.accuracy(thresholds[t]);
                if (acc > bestAcc) {
                    bestAcc = acc;
                    bestIdx = t;
                }
            }
            for (int t = 0; t < nt; t++) {
                tprs[f][t] = test.tpr(thresholds[t]);
                fprs[f][t] = test.fpr(thresholds[t]);
            }
            best[f] = thresholds[bestIdx];
            accuracy[f] = test.accuracy(thresholds[bestIdx]);
        }
        double[] tpr = new double[nt];
        double[] fpr = new double[nt];
        for (int t = 0; t < nt; t++) {
            double st = 0.0;
            double sf = 0.0;
            for (int f = 0; f < folds; f++) { // np.mean(axis=0): rows added in fold order
                st += tprs[f][t];
                sf += fprs[f][t];
            }
            tpr[t] = st / folds;
            fpr[t] = sf / folds;
        }
        return new VerificationRoc(thresholds, tpr, fpr, accuracy, best, NumpyArith.mean(accuracy),
                NumpyArith.std(accuracy));
    }

    // -------------------------------------------------------------------------------------------- TAR@FAR

    /**
     * {@code calculate_val(thresholds, e1, e2, issame, far_target, nrof_folds=folds)} on precomputed squared
     * distances. Per fold: {@code far_train[t]} = false accepts / different pairs of the train part at
     * {@code thresholds[t]}; the threshold is {@link #slinear}{@code (far_train, thresholds, farTarget)} when
     * {@code max(far_train) >= farTarget}, else 0.0; the fold's TAR = true accepts / same pairs and FAR = false
     * accepts / different pairs of the test part at that threshold.
     *
     * <p>Because {@code far_train} is non-decreasing in the threshold and repeats values (0 for the smallest
     * thresholds, 1 or a plateau at the top), the interpolation reads: the fold's threshold lies between the last
     * threshold whose FAR is ≤ target and the next one; when FAR equals the target exactly on a plateau, the last
     * threshold of that plateau. See {@link #slinear} for the one odd case.
     *
     * @param thresholds distance thresholds (any order; the reference's are ascending)
     * @param dist       squared distance of each pair, no NaN
     * @param issame     whether each pair is of the same identity
     * @param farTarget  target false-accept rate in (0, 1]
     * @param folds      ≥ 1, ≤ number of pairs
     * @throws IllegalArgumentException on any bad input, naming the argument; also when a fold's train or test
     *                                  part has no same or no different pair (the reference divides by zero)
     */
    public static VerificationVal calculateVal(double[] thresholds, double[] dist, boolean[] issame,
                                               double farTarget, int folds) {
        checkInputs(thresholds, dist, issame);
        if (!(farTarget > 0 && farTarget <= 1)) {
            throw Checks.bad("farTarget is " + farTarget + "; expected a rate in (0, 1]");
        }
        if (thresholds.length < 2) {
            throw Checks.bad("thresholds has length " + thresholds.length
                    + "; expected at least 2 (interp1d 'slinear' needs two points)");
        }
        Part[][] parts = parts(dist, issame, folds);
        double[] val = new double[folds];
        double[] far = new double[folds];
        double[] thr = new double[folds];
        for (int f = 0; f < folds; f++) {
            Part train = parts[f][0];
            Part test = parts[f][1];
            requirePairs(train, f, "train");
            requirePairs(test, f, "test");
            double[] farTrain = new double[thresholds.length];
            double maxFar = 0;
            for (int t = 0; t < thresholds.length; t++) {
                farTrain[t] = (double) train.fp(thresholds[t]) / train.diff.length;
                maxFar = Math.max(maxFar, farTrain[t]);
            }
            double threshold = maxFar >= farTarget ? slinear(farTrain, thresholds, farTarget) : 0.0;
            thr[f] = threshold;
            val[f] = (double) test.tp(threshold) / test.same.length;
            far[f] = (double) test.fp(threshold) / test.diff.length;
        }
        return new VerificationVal(farTarget, val, far, thr, NumpyArith.mean(val), NumpyArith.std(val),
                NumpyArith.mean(far));
    }

    private static void requirePairs(Part p, int fold, String which) {
        if (p.same.length == 0 || p.diff.length == 0) {
            throw Checks.bad("issame: the " + which + " part of fold " + fold + " has " + p.same.length
                    + " same and " + p.diff.length + " different pairs; expected at least one of each"
                    + " (TAR and FAR are undefined otherwise)");
        }
    }

    /**
     * {@code scipy.interpolate.interp1d(x, y, kind='slinear')(xNew)} for a scalar {@code xNew}, as SciPy up to 1.8
     * computes it when {@code x} is unsorted or has repeated values. (SciPy documents repeated {@code x} as
     * undefined behaviour; from 1.9 on, {@code make_interp_spline} refuses them with
     * {@code ValueError: Expect x to not have duplicates} — so InsightFace's {@code calculate_val}, whose
     * {@code far_train} practically always repeats 0, only runs with SciPy ≤ 1.8, and its users pin 1.8.1: see
     * deepinsight/insightface issues 2152, 2290 and 2438.) What SciPy ≤ 1.8 does:
     * <ol>
     *   <li>{@code x} is sorted ascending with a stable sort ({@code np.argsort(x, kind="mergesort")}), {@code y}
     *       permuted alike — repeated {@code x} values keep their input order;</li>
     *   <li>'slinear' is {@code make_interp_spline(x, y, k=1)}, whose k = 1 shortcut (taken before any check for
     *       repeated values up to 1.8) is the degree-1 B-spline with knots {@code [x0, x0, x1, …, x_{m−1},
     *       x_{m−1}]} and coefficients {@code y};</li>
     *   <li>{@code BSpline} evaluation finds the knot interval like FITPACK: {@code j} = the last index ≤ m − 2 with
     *       {@code x_j <= xNew}, so among repeated {@code x} values the <b>last</b> one (in sorted, i.e. input,
     *       order) is the left end, and the right end is the next entry, i.e. the <b>first</b> occurrence of the
     *       next larger {@code x};</li>
     *   <li>the value is de Boor's {@code y_j · w·(x_{j+1} − xNew) + y_{j+1} · w·(xNew − x_j)} with
     *       {@code w = 1 / (x_{j+1} − x_j)}, in that order of operations; hence at a repeated {@code x} value the
     *       result is the {@code y} of its last occurrence;</li>
     *   <li>the odd case: when {@code xNew} equals the largest {@code x} and that value is repeated, the interval is
     *       empty ({@code x_{m−2} == x_{m−1}}), de Boor's algorithm sets both basis values to 0 and the result is
     *       <b>0.0</b>;</li>
     *   <li>{@code xNew} outside {@code [min x, max x]} raises (interp1d's default {@code bounds_error}).</li>
     * </ol>
     * Checked bit for bit against {@code BSpline.construct_fast(np.r_[x[0], x, x[-1]], y, 1)(xNew)} (what SciPy
     * ≤ 1.8 builds) with SciPy 1.10 and 1.17's evaluator, and against {@code interp1d} itself where {@code x} has
     * no repeated values.
     *
     * @param x    at least 2 abscissae, no NaN
     * @param y    as many ordinates, no NaN
     * @param xNew the point, within {@code [min x, max x]}
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static double slinear(double[] x, double[] y, double xNew) {
        Checks.noNaN(x, "x");
        Checks.noNaN(y, "y");
        Checks.sameLength(x.length, "x", y.length, "y");
        if (x.length < 2) {
            throw Checks.bad("x has length " + x.length + "; expected at least 2 points");
        }
        if (Double.isNaN(xNew)) {
            throw Checks.bad("xNew is NaN; expected a number");
        }
        int[] order = NumpyArith.stableArgsort(x);
        int m = x.length;
        double[] xs = new double[m];
        double[] ys = new double[m];
        for (int i = 0; i < m; i++) {
            xs[i] = x[order[i]];
            ys[i] = y[order[i]];
        }
        if (xNew < xs[0] || xNew > xs[m - 1]) {
            throw Checks.bad("xNew is " + xNew + "; expected a value within the range of x [" + xs[0] + ", "
                    + xs[m - 1] + "] (interp1d raises outside it)");
        }
        int j = 0;
        while (j < m - 2 && xs[j + 1] <= xNew) {
            j++;
        }
        double xa = xs[j];
        double xb = xs[j + 1];
        if (xb == xa) {
            return 0.0;
        }
        double w = 1.0 / (xb - xa);
        double h0 = w * (xb - xNew);
        double h1 = w * (xNew - xa);
        double out = 0.0 + ys[j] * h0;
        out = out + ys[j + 1] * h1;
        return out;
    }

    // ------------------------------------------------------------------------------------------- evaluate

    /**
     * The reference's {@code evaluate(embeddings, issame, nrof_folds=folds)} with {@code pca=0}:
     * {@link #calculateRoc} over {@link #accuracyThresholds()} and {@link #calculateVal} over
     * {@link #valThresholds()} at {@link #FAR_TARGET}, on {@link #squaredDistances}.
     *
     * @param embeddings1 first member of each pair, n × d, finite (normalised by the caller)
     * @param embeddings2 second member of each pair, n × d
     * @param issame      n flags
     * @param folds       ≥ 1 ({@link #FOLDS} in the reference)
     */
    public static VerificationResult evaluate(double[][] embeddings1, double[][] embeddings2, boolean[] issame,
                                              int folds) {
        double[] dist = squaredDistances(embeddings1, embeddings2);
        Checks.notNull(issame, "issame");
        Checks.sameLength(issame.length, "issame", dist.length, "embeddings1");
        VerificationRoc roc = calculateRoc(accuracyThresholds(), dist, issame, folds);
        VerificationVal val = calculateVal(valThresholds(), dist, issame, FAR_TARGET, folds);
        return new VerificationResult(dist.length, folds, roc, val);
    }

    /**
     * {@link #evaluate(double[][], double[][], boolean[], int)} with embeddings interleaved as the reference stores
     * them: rows {@code 2i} and {@code 2i+1} are pair {@code i} ({@code embeddings[0::2]},
     * {@code embeddings[1::2]}).
     *
     * @param embeddings 2n rows (an odd count is refused)
     * @param issame     n flags
     * @param folds      ≥ 1
     */
    public static VerificationResult evaluateInterleaved(double[][] embeddings, boolean[] issame, int folds) {
        Checks.matrix(embeddings, "embeddings", 1);
        if (embeddings.length % 2 != 0) {
            throw Checks.bad("embeddings has " + embeddings.length
                    + " rows; expected an even count (rows 2i and 2i+1 form pair i)");
        }
        double[][] a = new double[embeddings.length / 2][];
        double[][] b = new double[embeddings.length / 2][];
        for (int i = 0; i < a.length; i++) {
            a[i] = embeddings[2 * i];
            b[i] = embeddings[2 * i + 1];
        }
        return evaluate(a, b, issame, folds);
    }
}
