package io.protospark.metrics;

/**
 * Area under the ROC curve of a score that should be higher for positives than for negatives, equal to
 * scikit-learn's {@code roc_auc_score(y, s)} for binary {@code y}, ties included: it is the Mann–Whitney
 * statistic {@code U / (n_pos · n_neg)}, where each (positive, negative) pair with the positive scored higher
 * counts 1 and a tied pair counts 1/2 — which is what scikit-learn's trapezoid over the ROC curve computes.
 *
 * <p>Computed in O(n log n): one stable sort, then tie groups in ascending score order, {@code 2U = Σ_groups
 * pos_g · (2 · negatives below + neg_g)} in exact integer arithmetic, divided once at the end (so the result can
 * differ from scikit-learn's floating-point trapezoid in the last bits only). -0.0 and 0.0 are tied; NaN is
 * refused; ±∞ are ordinary scores.
 */
public final class Auroc {
    private Auroc() {
    }

    /**
     * AUROC from scores and flags: {@code roc_auc_score(positive, scores)}.
     *
     * @param scores   n scores, no NaN
     * @param positive whether each example is a positive; at least one positive and one negative
     * @throws IllegalArgumentException on any bad input (one class only: scikit-learn raises ValueError too)
     */
    public static double auroc(double[] scores, boolean[] positive) {
        check(scores, positive);
        int[] order = NumpyArith.stableArgsort(scores);
        long nPos = 0;
        for (boolean p : positive) {
            if (p) {
                nPos++;
            }
        }
        long nNeg = scores.length - nPos;
        long twoU = 0;
        long negBelow = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            long pos = 0;
            long neg = 0;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (positive[order[j]]) {
                    pos++;
                } else {
                    neg++;
                }
                j++;
            }
            twoU += pos * (2 * negBelow + neg);
            negBelow += neg;
            i = j;
        }
        return (double) twoU / (2.0 * nPos * nNeg);
    }

    /**
     * AUROC of positive scores against negative scores: {@code roc_auc_score(np.r_[np.ones(len(pos)),
     * np.zeros(len(neg))], np.r_[pos, neg])}.
     *
     * @param positives scores of the positives, at least one, no NaN
     * @param negatives scores of the negatives, at least one, no NaN
     */
    public static double auroc(double[] positives, double[] negatives) {
        Checks.noNaN(positives, "positives");
        Checks.noNaN(negatives, "negatives");
        Checks.nonEmpty(positives.length, "positives");
        Checks.nonEmpty(negatives.length, "negatives");
        double[] s = new double[positives.length + negatives.length];
        boolean[] p = new boolean[s.length];
        System.arraycopy(positives, 0, s, 0, positives.length);
        System.arraycopy(negatives, 0, s, positives.length, negatives.length);
        java.util.Arrays.fill(p, 0, positives.length, true);
        return auroc(s, p);
    }

    /**
     * The ROC curve as scikit-learn's {@code roc_curve(positive, scores, drop_intermediate=False)} (see
     * {@link RocCurve}): for each distinct score {@code t}, in decreasing order, {@code tpr = #(pos with s >= t) /
     * n_pos} and {@code fpr = #(neg with s >= t) / n_neg}, after the point (0, 0) at +∞.
     *
     * @throws IllegalArgumentException as {@link #auroc(double[], boolean[])}
     */
    public static RocCurve roc(double[] scores, boolean[] positive) {
        check(scores, positive);
        int[] order = NumpyArith.stableArgsort(scores);
        int nPos = 0;
        for (boolean p : positive) {
            if (p) {
                nPos++;
            }
        }
        int nNeg = scores.length - nPos;
        int distinct = 0;
        for (int i = 0; i < order.length; i++) {
            if (i == 0 || scores[order[i]] != scores[order[i - 1]]) {
                distinct++;
            }
        }
        double[] fpr = new double[distinct + 1];
        double[] tpr = new double[distinct + 1];
        double[] thr = new double[distinct + 1];
        thr[0] = Double.POSITIVE_INFINITY;
        long tp = 0;
        long fp = 0;
        int point = 0;
        for (int i = order.length - 1; i >= 0; i--) {
            if (positive[order[i]]) {
                tp++;
            } else {
                fp++;
            }
            if (i == 0 || scores[order[i - 1]] != scores[order[i]]) {
                point++;
                thr[point] = scores[order[i]] + 0.0;
                tpr[point] = (double) tp / nPos;
                fpr[point] = (double) fp / nNeg;
            }
        }
        return new RocCurve(fpr, tpr, thr);
    }

    private static void check(double[] scores, boolean[] positive) {
        Checks.noNaN(scores, "scores");
        Checks.notNull(positive, "positive");
        Checks.sameLength(scores.length, "scores", positive.length, "positive");
        int nPos = 0;
        for (boolean p : positive) {
            if (p) {
                nPos++;
            }
        }
        if (nPos == 0 || nPos == positive.length) {
            throw Checks.bad("positive has " + nPos + " positives among " + positive.length
                    + " examples; expected at least one positive and one negative");
        }
    }
}
