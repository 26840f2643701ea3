package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A receiver operating characteristic curve as scikit-learn's {@code roc_curve(y, s, drop_intermediate=False)}:
 * one point per distinct score, thresholds decreasing, preceded by the point (0, 0) at threshold +∞ (scikit-learn
 * ≥ 1.3 writes {@code np.inf} there; older versions wrote {@code max(s) + 1}). Point {@code i} classifies
 * {@code score >= thresholds[i]} as positive. Built by {@link Auroc#roc(double[], boolean[])}.
 *
 * @param fpr        false-positive rates, non-decreasing, from 0 to 1
 * @param tpr        true-positive rates, non-decreasing, from 0 to 1
 * @param thresholds +∞, then the distinct scores in decreasing order
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {

    /** Copies the arrays. */
    public RocCurve {
        fpr = fpr.clone();
        tpr = tpr.clone();
        thresholds = thresholds.clone();
    }

    /** A copy of the false-positive rates. */
    @Override
    public double[] fpr() {
        return fpr.clone();
    }

    /** A copy of the true-positive rates. */
    @Override
    public double[] tpr() {
        return tpr.clone();
    }

    /** A copy of the thresholds (the first is +∞). */
    @Override
    public double[] thresholds() {
        return thresholds.clone();
    }

    /** Keys {@code fpr}, {@code tpr}, {@code thresholds}; the first threshold (+∞, not JSON) is written as null. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fpr", JsonValues.list(fpr));
        m.put("tpr", JsonValues.list(tpr));
        java.util.List<Double> t = JsonValues.list(thresholds);
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) != null && t.get(i).isInfinite()) {
                t.set(i, null);
            }
        }
        m.put("thresholds", t);
        return m;
    }
}
