package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Result of {@link Verification#calculateRoc}: InsightFace's {@code calculate_roc} accuracy and ROC, with the
 * per-fold detail the reference computes but does not return.
 *
 * @param thresholds         the squared-distance thresholds tried (a pair is "same" when {@code dist < t})
 * @param tpr                true-positive rate per threshold on the test parts, averaged over folds
 * @param fpr                false-positive rate per threshold on the test parts, averaged over folds
 * @param foldAccuracy       accuracy on each fold's test part at the threshold chosen on its train part
 * @param foldBestThreshold  that threshold, per fold
 * @param accuracyMean       {@code np.mean(foldAccuracy)}
 * @param accuracyStd        {@code np.std(foldAccuracy)} (ddof = 0)
 */
public record VerificationRoc(double[] thresholds, double[] tpr, double[] fpr, double[] foldAccuracy,
                              double[] foldBestThreshold, double accuracyMean, double accuracyStd) {

    /** Copies the arrays. */
    public VerificationRoc {
        thresholds = thresholds.clone();
        tpr = tpr.clone();
        fpr = fpr.clone();
        foldAccuracy = foldAccuracy.clone();
        foldBestThreshold = foldBestThreshold.clone();
    }

    /** A copy of the thresholds. */
    @Override
    public double[] thresholds() {
        return thresholds.clone();
    }

    /** A copy of the mean true-positive rates. */
    @Override
    public double[] tpr() {
        return tpr.clone();
    }

    /** A copy of the mean false-positive rates. */
    @Override
    public double[] fpr() {
        return fpr.clone();
    }

    /** A copy of the per-fold accuracies. */
    @Override
    public double[] foldAccuracy() {
        return foldAccuracy.clone();
    }

    /** A copy of the per-fold best thresholds. */
    @Override
    public double[] foldBestThreshold() {
        return foldBestThreshold.clone();
    }

    /** Keys {@code accuracy_mean}, {@code accuracy_std}, {@code fold_accuracy}, {@code fold_best_threshold},
     * {@code thresholds}, {@code tpr}, {@code fpr}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy_mean", accuracyMean);
        m.put("accuracy_std", accuracyStd);
        m.put("fold_accuracy", JsonValues.list(foldAccuracy));
        m.put("fold_best_threshold", JsonValues.list(foldBestThreshold));
        m.put("thresholds", JsonValues.list(thresholds));
        m.put("tpr", JsonValues.list(tpr));
        m.put("fpr", JsonValues.list(fpr));
        return m;
    }
}
