package io.protospark.metrics;

import java.util.Arrays;

/**
 * Closed-set classification metrics from a score matrix (n examples × K classes, row-major) and integer labels in
 * {@code [0, K)}: top-k accuracy, the confusion matrix with per-class and balanced accuracy, expected calibration
 * error, and head/medium/tail accuracy of a long-tailed training set.
 *
 * <p>Scores may be logits, cosine similarities or probabilities: only their order matters, except for
 * {@link #calibrationFromLogits}. NaN scores are refused; infinities are ordered as usual. -0.0 and 0.0 are equal.
 */
public final class ClosedSetMetrics {
    private ClosedSetMetrics() {
    }

    /** The number of bins of Guo et al. 2017's expected calibration error. */
    public static final int GUO_BINS = 15;

    /** A class is a head class when it has more than this many training examples (DL2PA's split). */
    public static final long HEAD_ABOVE = 100;

    /** A class is a tail class when it has fewer than this many training examples (DL2PA's split). */
    public static final long TAIL_BELOW = 20;

    // ---------------------------------------------------------------------------------------------- ranking

    /**
     * The index of the largest score, the first one among equal maxima: NumPy's {@code np.argmax(row)} (and
     * PyTorch's {@code max(dim)} on CPU).
     *
     * @throws IllegalArgumentException {@code row} is null, empty or holds NaN
     */
    public static int argmax(double[] row) {
        Checks.noNaN(row, "row");
        Checks.nonEmpty(row.length, "row");
        int best = 0;
        for (int j = 1; j < row.length; j++) {
            if (row[j] > row[best]) {
                best = j;
            }
        }
        return best;
    }

    /** {@link #argmax(double[])} of each row of an n × K matrix. */
    public static int[] argmax(double[][] scores) {
        Checks.matrix(scores, "scores", 1);
        int[] out = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            out[i] = argmax(scores[i]);
        }
        return out;
    }

    /**
     * The {@code k} highest-ranked classes of one row, best first, in scikit-learn's order for
     * {@code top_k_accuracy_score}: {@code np.argsort(row, kind="mergesort")[::-1][:k]}. The stable ascending sort
     * keeps equal scores in index order and the reversal turns that round, so <b>among equal scores the higher
     * class index ranks first</b> (scores {@code [1, 3, 3, 0]} rank as {@code 2, 1, 0, 3}). Note that this differs
     * from {@link #argmax(double[])} (first maximum) when the maximum is tied: scikit-learn's top-1 accuracy then
     * takes the last maximal class.
     *
     * @param row scores of one example
     * @param k   how many classes, ≥ 1; more than {@code row.length} returns all classes (scikit-learn accepts
     *            {@code k >= n_classes} with a warning, every example then being a hit)
     * @throws IllegalArgumentException {@code row} null, empty or with NaN; {@code k < 1}
     */
    public static int[] predictedTopK(double[] row, int k) {
        Checks.noNaN(row, "row");
        Checks.nonEmpty(row.length, "row");
        checkK(k);
        int[] ascending = NumpyArith.stableArgsort(row);
        int m = Math.min(k, row.length);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = ascending[row.length - 1 - i];
        }
        return out;
    }

    /** {@link #predictedTopK(double[], int)} of a float row (each score widened to double exactly). */
    public static int[] predictedTopK(float[] row, int k) {
        Checks.notNull(row, "row");
        return predictedTopK(Checks.toDouble(row), k);
    }

    /**
     * Top-k accuracy as scikit-learn's {@code top_k_accuracy_score(labels, scores, k=k, labels=range(K))} for
     * K ≥ 3 (normalize=True, no sample weights): the fraction of examples whose true class is among the {@code k}
     * classes of {@link #predictedTopK(double[], int)}. Equivalently, example {@code i} with label {@code y} is a
     * hit when fewer than {@code k} classes {@code j} have {@code s[j] > s[y]} or ({@code s[j] == s[y]} and
     * {@code j > y}); that is how it is counted here, in O(n·K).
     *
     * <p>For K = 2 scikit-learn takes a different (binary) path and wants a 1-d score; this method keeps the
     * ranking definition for every K ≥ 2.
     *
     * @param scores n × K scores, n ≥ 1, K ≥ 2, no NaN
     * @param labels n true classes in {@code [0, K)}
     * @param k      ≥ 1
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static double topKAccuracy(double[][] scores, int[] labels, int k) {
        int numClasses = Checks.matrix(scores, "scores", 2);
        Checks.notNull(labels, "labels");
        Checks.sameLength(scores.length, "scores", labels.length, "labels");
        Checks.labels(labels, "labels", numClasses);
        checkK(k);
        long hits = 0;
        for (int i = 0; i < scores.length; i++) {
            double[] s = scores[i];
            int y = labels[i];
            int ahead = 0;
            for (int j = 0; j < numClasses && ahead < k; j++) {
                if (s[j] > s[y] || (s[j] == s[y] && j > y)) {
                    ahead++;
                }
            }
            if (ahead < k) {
                hits++;
            }
        }
        return (double) hits / scores.length;
    }

    /** {@link #topKAccuracy(double[][], int[], int)} of float scores (widened to double exactly). */
    public static double topKAccuracy(float[][] scores, int[] labels, int k) {
        return topKAccuracy(Checks.toDouble(scores, "scores"), labels, k);
    }

    private static void checkK(int k) {
        if (k < 1) {
            throw Checks.bad("k is " + k + "; expected k >= 1");
        }
    }

    // ------------------------------------------------------------------------------------- confusion matrix

    /**
     * The confusion matrix, rows the true class and columns the predicted class, as scikit-learn's
     * {@code confusion_matrix(labels, predictions, labels=range(numClasses))}.
     *
     * @param labels      true classes, n ≥ 1, in {@code [0, numClasses)}
     * @param predictions predicted classes, same length, same range
     * @param numClasses  K ≥ 1
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static ConfusionMatrix confusionMatrix(int[] labels, int[] predictions, int numClasses) {
        if (numClasses < 1) {
            throw Checks.bad("numClasses is " + numClasses + "; expected >= 1");
        }
        Checks.notNull(labels, "labels");
        Checks.notNull(predictions, "predictions");
        Checks.nonEmpty(labels.length, "labels");
        Checks.sameLength(labels.length, "labels", predictions.length, "predictions");
        Checks.labels(labels, "labels", numClasses);
        Checks.labels(predictions, "predictions", numClasses);
        long[][] counts = new long[numClasses][numClasses];
        for (int i = 0; i < labels.length; i++) {
            counts[labels[i]][predictions[i]]++;
        }
        return new ConfusionMatrix(counts);
    }

    /**
     * The confusion matrix of the top-1 predictions {@link #argmax(double[][])} (first maximum, as
     * {@code scores.argmax(1)}) of an n × K score matrix.
     */
    public static ConfusionMatrix confusionMatrix(double[][] scores, int[] labels) {
        int numClasses = Checks.matrix(scores, "scores", 1);
        return confusionMatrix(labels, argmax(scores), numClasses);
    }

    // ---------------------------------------------------------------------------------------- calibration

    /**
     * Softmax of one row in double, computed stably: {@code exp(x − max) / Σ exp(x − max)}, the sum in NumPy's
     * pairwise order ({@code e / e.sum()}); {@code Math.exp} may differ from NumPy's {@code exp} in the last bit.
     *
     * @throws IllegalArgumentException {@code row} null, empty or not finite
     */
    public static double[] softmax(double[] row) {
        Checks.finite(row, "row");
        Checks.nonEmpty(row.length, "row");
        double max = row[0];
        for (double v : row) {
            max = Math.max(max, v);
        }
        double[] e = new double[row.length];
        for (int j = 0; j < row.length; j++) {
            e[j] = Math.exp(row[j] - max);
        }
        double sum = NumpyArith.sum(e);
        for (int j = 0; j < row.length; j++) {
            e[j] /= sum;
        }
        return e;
    }

    /** {@link #softmax(double[])} of a float row (widened to double first). */
    public static double[] softmax(float[] row) {
        Checks.notNull(row, "row");
        return softmax(Checks.toDouble(row));
    }

    /**
     * The bin edges {@code np.linspace(0, 1, bins + 1)}: {@code i · (1.0 / bins)} for {@code i < bins} and exactly
     * 1.0 last (the same doubles NumPy computes).
     */
    public static double[] binEdges(int bins) {
        if (bins < 1) {
            throw Checks.bad("bins is " + bins + "; expected >= 1");
        }
        double step = 1.0 / bins;
        double[] edges = new double[bins + 1];
        for (int i = 0; i < bins; i++) {
            edges[i] = i * step;
        }
        edges[bins] = 1.0;
        return edges;
    }

    /**
     * Expected calibration error with {@code bins} equal-width bins, as Guo et al. 2017's reference
     * {@code _ECELoss} (github.com/gpleiss/temperature_scaling): edges {@link #binEdges(int)}, an example falls in
     * bin {@code b} when {@code edges[b] < confidence <= edges[b+1]}, and
     * {@code ECE = Σ_b |mean confidence_b − accuracy_b| · n_b / n} over the non-empty bins.
     *
     * <p>The reference runs in float32 with float32 edges ({@code torch.linspace}); here everything is double and
     * the edges are NumPy's float64 {@code linspace}, so a confidence within about 6e-8 of an edge can fall in the
     * neighbouring bin.
     *
     * @param confidences n ≥ 1 confidences in [0, 1] (a confidence of 0 lies in no bin but counts in n, as in the
     *                    reference)
     * @param correct     whether each prediction is right
     * @param bins        number of bins, ≥ 1 ({@link #GUO_BINS} = 15 in the paper)
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static Calibration calibration(double[] confidences, boolean[] correct, int bins) {
        Checks.noNaN(confidences, "confidences");
        Checks.notNull(correct, "correct");
        Checks.nonEmpty(confidences.length, "confidences");
        Checks.sameLength(confidences.length, "confidences", correct.length, "correct");
        for (int i = 0; i < confidences.length; i++) {
            if (confidences[i] < 0 || confidences[i] > 1) {
                throw Checks.bad("confidences[" + i + "] is " + confidences[i] + "; expected a value in [0, 1]");
            }
        }
        double[] edges = binEdges(bins);
        int[] binOf = new int[confidences.length];
        long[] counts = new long[bins];
        long[] right = new long[bins];
        for (int i = 0; i < confidences.length; i++) {
            binOf[i] = bin(edges, confidences[i]);
            if (binOf[i] >= 0) {
                counts[binOf[i]]++;
                if (correct[i]) {
                    right[binOf[i]]++;
                }
            }
        }
        // each bin's confidences in input order, summed in NumPy's pairwise order (conf[in_bin].mean())
        double[][] members = new double[bins][];
        int[] fill = new int[bins];
        for (int b = 0; b < bins; b++) {
            members[b] = new double[(int) counts[b]];
        }
        for (int i = 0; i < confidences.length; i++) {
            if (binOf[i] >= 0) {
                members[binOf[i]][fill[binOf[i]]++] = confidences[i];
            }
        }
        double[] confSum = new double[bins];
        for (int b = 0; b < bins; b++) {
            confSum[b] = NumpyArith.sum(members[b]);
        }
        int n = confidences.length;
        double[] acc = new double[bins];
        double[] conf = new double[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (counts[b] == 0) {
                acc[b] = Double.NaN;
                conf[b] = Double.NaN;
            } else {
                acc[b] = (double) right[b] / counts[b];
                conf[b] = confSum[b] / counts[b];
                ece += Math.abs(conf[b] - acc[b]) * ((double) counts[b] / n);
            }
        }
        return new Calibration(ece, n, edges, counts, acc, conf);
    }

    /** The bin {@code b} with {@code edges[b] < c <= edges[b+1]}, or -1 (c = 0). */
    private static int bin(double[] edges, double c) {
        int lo = 0;
        int hi = edges.length - 2;
        if (!(c > edges[0])) {
            return -1;
        }
        // first b with c <= edges[b+1]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c <= edges[mid + 1]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * {@link #calibration(double[], boolean[], int)} from logits as the reference's {@code forward(logits,
     * labels)}: confidence = the largest {@link #softmax(double[])} value of each row, the prediction its
     * {@link #argmax(double[])} (first maximum), correct when it equals the label.
     *
     * @param logits n × K finite logits, K ≥ 1
     * @param labels n classes in {@code [0, K)}
     * @param bins   ≥ 1
     */
    public static Calibration calibrationFromLogits(double[][] logits, int[] labels, int bins) {
        int numClasses = Checks.matrix(logits, "logits", 1);
        Checks.notNull(labels, "labels");
        Checks.sameLength(logits.length, "logits", labels.length, "labels");
        Checks.labels(labels, "labels", numClasses);
        double[] conf = new double[logits.length];
        boolean[] correct = new boolean[logits.length];
        for (int i = 0; i < logits.length; i++) {
            double[] p;
            try {
                p = softmax(logits[i]);
            } catch (IllegalArgumentException e) {
                throw Checks.bad("logits[" + i + "]: " + e.getMessage());
            }
            int pred = argmax(p);
            conf[i] = p[pred];
            correct[i] = pred == labels[i];
        }
        return calibration(conf, correct, bins);
    }

    // ------------------------------------------------------------------------------------------ long tail

    /**
     * Head / medium / tail accuracy (DL2PA's split of a long-tailed training set): a class is head when it has
     * more than {@link #HEAD_ABOVE} (100) training examples, medium with 20 to 100 inclusive, tail with fewer than
     * {@link #TAIL_BELOW} (20). Each group's accuracy is the fraction of test examples whose true class is in the
     * group that are predicted correctly (pooled over the group's examples, not a mean of per-class accuracies);
     * NaN when the group has no test example.
     *
     * @param labels      true classes of the n ≥ 1 test examples, in {@code [0, K)}
     * @param predictions predicted classes, same length, same range
     * @param trainCounts training examples per class, K ≥ 1 non-negative counts
     * @throws IllegalArgumentException on any bad input, naming the argument
     */
    public static LongTailAccuracy longTailAccuracy(int[] labels, int[] predictions, long[] trainCounts) {
        Checks.notNull(trainCounts, "trainCounts");
        Checks.nonEmpty(trainCounts.length, "trainCounts");
        for (int c = 0; c < trainCounts.length; c++) {
            if (trainCounts[c] < 0) {
                throw Checks.bad("trainCounts[" + c + "] is " + trainCounts[c] + "; expected a count >= 0");
            }
        }
        ConfusionMatrix cm = confusionMatrix(labels, predictions, trainCounts.length);
        long[][] counts = cm.counts();
        int[] group = new int[trainCounts.length]; // 0 head, 1 medium, 2 tail
        int[] sizes = new int[3];
        for (int c = 0; c < trainCounts.length; c++) {
            group[c] = trainCounts[c] > HEAD_ABOVE ? 0 : (trainCounts[c] >= TAIL_BELOW ? 1 : 2);
            sizes[group[c]]++;
        }
        int[][] classes = {new int[sizes[0]], new int[sizes[1]], new int[sizes[2]]};
        int[] fill = new int[3];
        long[] total = new long[3];
        long[] right = new long[3];
        for (int c = 0; c < trainCounts.length; c++) {
            int g = group[c];
            classes[g][fill[g]++] = c;
            right[g] += counts[c][c];
            total[g] += Arrays.stream(counts[c]).sum();
        }
        double[] acc = new double[3];
        for (int g = 0; g < 3; g++) {
            acc[g] = total[g] == 0 ? Double.NaN : (double) right[g] / total[g];
        }
        return new LongTailAccuracy(classes[0], classes[1], classes[2], acc[0], acc[1], acc[2], total[0],
                total[1], total[2]);
    }
}
