package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A K × K confusion matrix, rows the true class and columns the predicted class, as scikit-learn's
 * {@code confusion_matrix(y_true, y_pred, labels=range(K))}; built by
 * {@link ClosedSetMetrics#confusionMatrix(int[], int[], int)}.
 *
 * @param counts {@code counts[t][p]} = number of examples of true class {@code t} predicted as {@code p}
 */
public record ConfusionMatrix(long[][] counts) {

    /** Copies {@code counts}, which must be square and non-negative. */
    public ConfusionMatrix {
        Checks.notNull(counts, "counts");
        Checks.nonEmpty(counts.length, "counts");
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == null || counts[i].length != counts.length) {
                throw Checks.bad("counts[" + i + "] has length " + (counts[i] == null ? "null" : counts[i].length)
                        + "; expected " + counts.length + " (a square matrix)");
            }
            for (int j = 0; j < counts.length; j++) {
                if (counts[i][j] < 0) {
                    throw Checks.bad("counts[" + i + "][" + j + "] is " + counts[i][j] + "; expected >= 0");
                }
            }
        }
        counts = JsonValues.copy(counts);
    }

    /** A copy of the counts, {@code [true][predicted]}. */
    @Override
    public long[][] counts() {
        return JsonValues.copy(counts);
    }

    /** The number of classes K. */
    public int numClasses() {
        return counts.length;
    }

    /** The number of examples counted (sum of all cells). */
    public long total() {
        long t = 0;
        for (long[] row : counts) {
            for (long c : row) {
                t += c;
            }
        }
        return t;
    }

    /** Examples of each true class (row sums): scikit-learn's {@code support}. */
    public long[] support() {
        long[] s = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            for (long c : counts[i]) {
                s[i] += c;
            }
        }
        return s;
    }

    /** Top-1 accuracy: trace / total ({@code accuracy_score}); NaN if no example was counted. */
    public double accuracy() {
        long diag = 0;
        for (int i = 0; i < counts.length; i++) {
            diag += counts[i][i];
        }
        long t = total();
        return t == 0 ? Double.NaN : (double) diag / t;
    }

    /**
     * Per-class accuracy, i.e. recall {@code counts[c][c] / support[c]} (scikit-learn's
     * {@code recall_score(average=None)}); NaN for a class with no example.
     */
    public double[] perClassAccuracy() {
        long[] s = support();
        double[] r = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            r[i] = s[i] == 0 ? Double.NaN : (double) counts[i][i] / s[i];
        }
        return r;
    }

    /**
     * Balanced accuracy as scikit-learn's {@code balanced_accuracy_score(y_true, y_pred)} (adjusted=False): the
     * mean of {@link #perClassAccuracy()} over the classes that have at least one example (scikit-learn drops the
     * NaN recall of a class that is only predicted, with a warning); NaN if no class has an example.
     */
    public double balancedAccuracy() {
        double[] r = perClassAccuracy();
        double sum = 0;
        int n = 0;
        for (double v : r) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Keys {@code num_classes}, {@code total}, {@code accuracy}, {@code balanced_accuracy},
     * {@code per_class_accuracy} (NaN as null), {@code support}, {@code counts}.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("num_classes", numClasses());
        m.put("total", total());
        m.put("accuracy", JsonValues.number(accuracy()));
        m.put("balanced_accuracy", JsonValues.number(balancedAccuracy()));
        m.put("per_class_accuracy", JsonValues.list(perClassAccuracy()));
        m.put("support", JsonValues.list(support()));
        m.put("counts", JsonValues.list(counts));
        return m;
    }
}
