package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Result of {@link Verification#calculateVal}: InsightFace's {@code calculate_val} (TAR at a target FAR), with the
 * per-fold detail.
 *
 * @param farTarget     the target false-accept rate
 * @param foldVal       validation rate (true-accept rate) on each fold's test part
 * @param foldFar       false-accept rate on each fold's test part
 * @param foldThreshold the threshold interpolated on each fold's train part (0.0 when FAR never reaches the target)
 * @param valMean       {@code np.mean(foldVal)}
 * @param valStd        {@code np.std(foldVal)} (ddof = 0)
 * @param farMean       {@code np.mean(foldFar)}
 */
public record VerificationVal(double farTarget, double[] foldVal, double[] foldFar, double[] foldThreshold,
                              double valMean, double valStd, double farMean) {

    /** Copies the arrays. */
    public VerificationVal {
        foldVal = foldVal.clone();
        foldFar = foldFar.clone();
        foldThreshold = foldThreshold.clone();
    }

    /** A copy of the per-fold validation rates. */
    @Override
    public double[] foldVal() {
        return foldVal.clone();
    }

    /** A copy of the per-fold false-accept rates. */
    @Override
    public double[] foldFar() {
        return foldFar.clone();
    }

    /** A copy of the per-fold thresholds. */
    @Override
    public double[] foldThreshold() {
        return foldThreshold.clone();
    }

    /** Keys {@code far_target}, {@code val_mean}, {@code val_std}, {@code far_mean}, {@code fold_val},
     * {@code fold_far}, {@code fold_threshold}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("far_target", farTarget);
        m.put("val_mean", valMean);
        m.put("val_std", valStd);
        m.put("far_mean", farMean);
        m.put("fold_val", JsonValues.list(foldVal));
        m.put("fold_far", JsonValues.list(foldFar));
        m.put("fold_threshold", JsonValues.list(foldThreshold));
        return m;
    }
}
