package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The open-set classification rate and the (FPR, CCR) points it integrates, in the order ARPL's
 * {@code compute_oscr} integrates them (descending); built by {@link Oscr#compute(double[], boolean[], double[])}.
 *
 * @param oscr area under the CCR-over-FPR curve
 * @param fpr  false-positive rates of the n + 2 points, sorted with {@link #ccr} as pairs in descending order
 * @param ccr  correct-classification rates of the same points
 */
public record OscrResult(double oscr, double[] fpr, double[] ccr) {

    /** Copies the arrays. */
    public OscrResult {
        fpr = fpr.clone();
        ccr = ccr.clone();
    }

    /** A copy of the false-positive rates. */
    @Override
    public double[] fpr() {
        return fpr.clone();
    }

    /** A copy of the correct-classification rates. */
    @Override
    public double[] ccr() {
        return ccr.clone();
    }

    /** Keys {@code oscr}, {@code fpr}, {@code ccr}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("oscr", oscr);
        m.put("fpr", JsonValues.list(fpr));
        m.put("ccr", JsonValues.list(ccr));
        return m;
    }
}
