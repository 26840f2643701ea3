package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What InsightFace's {@code evaluate(embeddings, issame, nrof_folds=10)} computes: {@link VerificationRoc}
 * (accuracy with thresholds {@code np.arange(0, 4, 0.01)}) and {@link VerificationVal} (TAR at FAR = 1e-3 with
 * thresholds {@code np.arange(0, 4, 0.001)}); built by {@link Verification#evaluate}.
 *
 * @param pairs number of pairs
 * @param folds number of folds
 * @param roc   accuracy and ROC
 * @param val   TAR at the target FAR
 */
public record VerificationResult(int pairs, int folds, VerificationRoc roc, VerificationVal val) {

    /** Keys {@code pairs}, {@code folds}, {@code roc} ({@link VerificationRoc#toMap()}), {@code val}
     * ({@link VerificationVal#toMap()}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", pairs);
        m.put("folds", folds);
        m.put("roc", roc.toMap());
        m.put("val", val.toMap());
        return m;
    }
}
