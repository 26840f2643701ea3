package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Expected calibration error and the reliability diagram behind it, as Guo et al. 2017, "On Calibration of Modern
 * Neural Networks" (reference code: github.com/gpleiss/temperature_scaling, {@code _ECELoss}); built by
 * {@link ClosedSetMetrics#calibration(double[], boolean[], int)}.
 *
 * <p>Bin {@code b} holds the examples with {@code edges[b] < confidence <= edges[b+1]}.
 *
 * @param ece        {@code Σ_b (counts[b] / n) · |confidence[b] − accuracy[b]|} over the non-empty bins
 * @param n          the number of examples (also those in no bin: a confidence of exactly 0)
 * @param edges      the {@code bins + 1} bin edges, {@code np.linspace(0, 1, bins + 1)}
 * @param counts     examples per bin
 * @param accuracy   fraction correct per bin; NaN for an empty bin
 * @param confidence mean confidence per bin; NaN for an empty bin
 */
public record Calibration(double ece, long n, double[] edges, long[] counts, double[] accuracy,
                          double[] confidence) {

    /** Copies the arrays. */
    public Calibration {
        edges = edges.clone();
        counts = counts.clone();
        accuracy = accuracy.clone();
        confidence = confidence.clone();
    }

    /** The number of bins. */
    public int bins() {
        return counts.length;
    }

    /** A copy of the bin edges. */
    @Override
    public double[] edges() {
        return edges.clone();
    }

    /** A copy of the per-bin counts. */
    @Override
    public long[] counts() {
        return counts.clone();
    }

    /** A copy of the per-bin accuracies (NaN for empty bins). */
    @Override
    public double[] accuracy() {
        return accuracy.clone();
    }

    /** A copy of the per-bin mean confidences (NaN for empty bins). */
    @Override
    public double[] confidence() {
        return confidence.clone();
    }

    /** Keys {@code ece}, {@code n}, {@code bins}, {@code edges}, {@code counts}, {@code accuracy},
     * {@code confidence} (NaN as null). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ece", ece);
        m.put("n", n);
        m.put("bins", bins());
        m.put("edges", JsonValues.list(edges));
        m.put("counts", JsonValues.list(counts));
        m.put("accuracy", JsonValues.list(accuracy));
        m.put("confidence", JsonValues.list(confidence));
        return m;
    }
}
