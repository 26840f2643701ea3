package io.protospark.metrics;

/**
 * The Open-Set Classification Rate (Dhamija et al. 2018) exactly as ARPL's {@code compute_oscr(pred_k, pred_u,
 * labels)} (github.com/iCGY96/ARPL, {@code core/evaluation.py}), which the open-set recognition literature
 * (ARPL, "Open-Set Recognition: a Good Closed-Set Classifier is All You Need", ...) reports:
 *
 * <ol>
 *   <li>{@code x1} = the score (maximum over classes) of each of the n1 known examples, {@code x2} that of each of
 *       the n2 unknown examples; {@code k_target} = 1 for a known example classified correctly, else 0;
 *       {@code u_target} = 1 for an unknown example;</li>
 *   <li>the n = n1 + n2 scores are sorted ascending; for {@code k = 0 .. n−2}: {@code CCR[k] = Σ k_target[k+1:] /
 *       n1}, {@code FPR[k] = Σ u_target[k:] / n2} (over the sorted order);</li>
 *   <li>{@code CCR[n−1] = FPR[n−1] = 0} (never assigned in the reference), {@code CCR[n] = FPR[n] = 0},
 *       {@code CCR[n+1] = FPR[n+1] = 1};</li>
 *   <li>the n + 2 pairs (FPR, CCR) are sorted in descending order (by FPR, then CCR) and
 *       {@code OSCR = Σ_{j=0..n} (FPR_j − FPR_{j+1}) · (CCR_j + CCR_{j+1}) / 2}, summed in that order.</li>
 * </ol>
 *
 * <p><b>Ties.</b> The reference sorts with NumPy's default {@code argsort} (quicksort/introsort, not stable), so
 * with equal scores its result depends on NumPy's internal order. Here the sort is stable over the concatenation
 * known-then-unknown: equal scores keep that order (known examples first, each part in input order). A Python
 * check reproduces it bit for bit with {@code predict.argsort(kind='stable')}. Without ties the two agree.
 */
public final class Oscr {
    private Oscr() {
    }

    /**
     * OSCR and its curve.
     *
     * @param knownScores   the score of each known (in-distribution) example, e.g. its maximum softmax or
     *                      logit; at least one; no NaN
     * @param knownCorrect  whether each known example's closed-set prediction is its label
     * @param unknownScores the score of each unknown example; at least one; no NaN
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static OscrResult compute(double[] knownScores, boolean[] knownCorrect, double[] unknownScores) {
        Checks.noNaN(knownScores, "knownScores");
        Checks.notNull(knownCorrect, "knownCorrect");
        Checks.noNaN(unknownScores, "unknownScores");
        Checks.nonEmpty(knownScores.length, "knownScores");
        Checks.nonEmpty(unknownScores.length, "unknownScores");
        Checks.sameLength(knownScores.length, "knownScores", knownCorrect.length, "knownCorrect");
        int n1 = knownScores.length;
        int n2 = unknownScores.length;
        int n = n1 + n2;
        double[] predict = new double[n];
        System.arraycopy(knownScores, 0, predict, 0, n1);
        System.arraycopy(unknownScores, 0, predict, n1, n2);
        int[] idx = NumpyArith.stableArgsort(predict);
        // suffix sums over the sorted order: kSuffix[i] = Σ k_target[i:], uSuffix[i] = Σ u_target[i:]
        long[] kSuffix = new long[n + 1];
        long[] uSuffix = new long[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            int e = idx[i];
            kSuffix[i] = kSuffix[i + 1] + (e < n1 && knownCorrect[e] ? 1 : 0);
            uSuffix[i] = uSuffix[i + 1] + (e >= n1 ? 1 : 0);
        }
        double[] ccr = new double[n + 2];
        double[] fpr = new double[n + 2];
        for (int k = 0; k < n - 1; k++) {
            ccr[k] = (double) kSuffix[k + 1] / n1;
            fpr[k] = (double) uSuffix[k] / n2;
        }
        ccr[n + 1] = 1.0;
        fpr[n + 1] = 1.0;
        Integer[] pts = new Integer[n + 2];
        for (int i = 0; i < pts.length; i++) {
            pts[i] = i;
        }
        java.util.Arrays.sort(pts, (a, b) -> {
            int c = Double.compare(fpr[b], fpr[a]);
            return c != 0 ? c : Double.compare(ccr[b], ccr[a]);
        });
        double[] sf = new double[n + 2];
        double[] sc = new double[n + 2];
        for (int i = 0; i < pts.length; i++) {
            sf[i] = fpr[pts[i]];
            sc[i] = ccr[pts[i]];
        }
        double oscr = 0;
        for (int j = 0; j <= n; j++) {
            double h = sf[j] - sf[j + 1];
            double w = (sc[j] + sc[j + 1]) / 2.0;
            oscr = oscr + h * w;
        }
        return new OscrResult(oscr, sf, sc);
    }

    /** {@link #compute(double[], boolean[], double[])}'s OSCR value alone. */
    public static double oscr(double[] knownScores, boolean[] knownCorrect, double[] unknownScores) {
        return compute(knownScores, knownCorrect, unknownScores).oscr();
    }

    /**
     * OSCR from score matrices as the reference's signature {@code compute_oscr(pred_k, pred_u, labels)}: the score
     * of an example is its row maximum, the prediction of a known example its {@link ClosedSetMetrics#argmax}
     * (first maximum, as {@code np.argmax}).
     *
     * @param knownScores   n1 × K scores of the known examples
     * @param knownLabels   their n1 labels in {@code [0, K)}
     * @param unknownScores n2 × K' scores of the unknown examples (any K' ≥ 1)
     */
    public static OscrResult fromScores(double[][] knownScores, int[] knownLabels, double[][] unknownScores) {
        int k = Checks.matrix(knownScores, "knownScores", 1);
        Checks.matrix(unknownScores, "unknownScores", 1);
        Checks.notNull(knownLabels, "knownLabels");
        Checks.sameLength(knownScores.length, "knownScores", knownLabels.length, "knownLabels");
        Checks.labels(knownLabels, "knownLabels", k);
        double[] x1 = new double[knownScores.length];
        boolean[] correct = new boolean[knownScores.length];
        for (int i = 0; i < x1.length; i++) {
            int p = ClosedSetMetrics.argmax(knownScores[i]);
            x1[i] = knownScores[i][p];
            correct[i] = p == knownLabels[i];
        }
        double[] x2 = new double[unknownScores.length];
        for (int i = 0; i < x2.length; i++) {
            x2[i] = unknownScores[i][ClosedSetMetrics.argmax(unknownScores[i])];
        }
        return compute(x1, correct, x2);
    }
}
