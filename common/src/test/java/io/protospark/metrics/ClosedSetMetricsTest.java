package io.protospark.metrics;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClosedSetMetricsTest {

    static void assertBad(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(argument), () -> "message should name " + argument + ": " + e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ top-k

    @Test
    void tiesRankTheHigherClassIndexFirst() {
        // sklearn: np.argsort([1, 3, 3, 0], kind="mergesort") = [3, 0, 1, 2]; reversed = [2, 1, 0, 3]
        assertArrayEquals(new int[] {2, 1, 0, 3}, ClosedSetMetrics.predictedTopK(new double[] {1, 3, 3, 0}, 4));
        assertArrayEquals(new int[] {2, 1}, ClosedSetMetrics.predictedTopK(new double[] {1, 3, 3, 0}, 2));
        assertArrayEquals(new int[] {2, 1, 0, 3}, ClosedSetMetrics.predictedTopK(new double[] {1, 3, 3, 0}, 9));
        assertArrayEquals(new int[] {2, 1}, ClosedSetMetrics.predictedTopK(new float[] {1, 3, 3, 0}, 2));
        // -0.0 and 0.0 are tied, as in NumPy
        assertArrayEquals(new int[] {1, 0}, ClosedSetMetrics.predictedTopK(new double[] {0.0, -0.0}, 2));
        assertArrayEquals(new int[] {1, 0}, ClosedSetMetrics.predictedTopK(new double[] {-0.0, 0.0}, 2));
        // argmax is the first maximum, unlike top-1
        assertEquals(1, ClosedSetMetrics.argmax(new double[] {1, 3, 3, 0}));
    }

    @Test
    void top5WithTies() {
        // Six classes tied at 5: the top 5 are classes 5, 4, 3, 2, 1 and class 0 is sixth.
        double[] row = {5, 5, 5, 5, 5, 5, 1, 0};
        assertArrayEquals(new int[] {5, 4, 3, 2, 1}, ClosedSetMetrics.predictedTopK(row, 5));
        double[][] scores = {row, row, row, row, row};
        int[] labels = {0, 1, 6, 5, 5};
        // label 0: sixth -> miss; label 1: fifth -> hit; label 6: seventh -> miss; label 5 (twice): first -> hit
        assertEquals(0.6, ClosedSetMetrics.topKAccuracy(scores, labels, 5));
        assertEquals(0.8, ClosedSetMetrics.topKAccuracy(scores, labels, 6)); // adds label 0
        assertEquals(0.4, ClosedSetMetrics.topKAccuracy(scores, labels, 1)); // only class 5
        assertEquals(1.0, ClosedSetMetrics.topKAccuracy(scores, labels, 8));
        assertEquals(1.0, ClosedSetMetrics.topKAccuracy(scores, labels, 100));
    }

    @Test
    void topKAgreesWithAFullSortOnRandomScoresWithTies() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(30);
            int kk = 2 + r.nextInt(12);
            double[][] s = new double[n][kk];
            float[][] f = new float[n][kk];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < kk; j++) {
                    s[i][j] = r.nextInt(4); // many ties
                    f[i][j] = (float) s[i][j];
                }
                y[i] = r.nextInt(kk);
            }
            for (int k = 1; k <= kk + 1; k++) {
                int hits = 0;
                for (int i = 0; i < n; i++) {
                    double[] row = s[i];
                    Integer[] idx = new Integer[kk];
                    for (int j = 0; j < kk; j++) {
                        idx[j] = j;
                    }
                    // descending score, then descending index
                    Arrays.sort(idx, Comparator.<Integer>comparingDouble(j -> -row[j]).thenComparing(j -> -j));
                    for (int p = 0; p < Math.min(k, kk); p++) {
                        if (idx[p] == y[i]) {
                            hits++;
                        }
                    }
                    int[] expected = new int[Math.min(k, kk)];
                    for (int p = 0; p < expected.length; p++) {
                        expected[p] = idx[p];
                    }
                    assertArrayEquals(expected, ClosedSetMetrics.predictedTopK(row, k));
                }
                assertEquals((double) hits / n, ClosedSetMetrics.topKAccuracy(s, y, k), 1e-15);
                assertEquals((double) hits / n, ClosedSetMetrics.topKAccuracy(f, y, k), 1e-15);
            }
        }
    }

    // ------------------------------------------------------------------------------------ confusion

    @Test
    void confusionMatrixPerClassAndBalancedAccuracy() {
        int[] y = {0, 0, 0, 1, 1, 2, 2, 2, 2};
        int[] p = {0, 1, 0, 1, 3, 2, 2, 0, 2};
        ConfusionMatrix cm = ClosedSetMetrics.confusionMatrix(y, p, 4);
        long[][] expected = {{2, 1, 0, 0}, {0, 1, 0, 1}, {1, 0, 3, 0}, {0, 0, 0, 0}};
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(expected[i], cm.counts()[i]);
        }
        double[] pc = cm.perClassAccuracy();
        assertEquals(2.0 / 3, pc[0], 1e-15);
        assertEquals(0.5, pc[1], 1e-15);
        assertEquals(0.75, pc[2], 1e-15);
        assertTrue(Double.isNaN(pc[3]));
        // sklearn balanced_accuracy_score(y, p) = mean(2/3, 1/2, 3/4) = 23/36 (class 3 only predicted: dropped)
        assertEquals(23.0 / 36, cm.balancedAccuracy(), 1e-15);
        assertEquals(6.0 / 9, cm.accuracy(), 1e-15);
        assertEquals(9, cm.total());
        Map<String, Object> m = cm.toMap();
        assertNull(((List<?>) m.get("per_class_accuracy")).get(3));
        assertEquals(List.of(3L, 2L, 4L, 0L), m.get("support"));
        // from scores: argmax is the first maximum
        ConfusionMatrix fromScores = ClosedSetMetrics.confusionMatrix(new double[][] {{1, 1}, {0, 2}},
                new int[] {1, 1});
        assertArrayEquals(new long[] {0, 0}, fromScores.counts()[0]);
        assertArrayEquals(new long[] {1, 1}, fromScores.counts()[1]);
    }

    @Test
    void resultsAreImmutable() {
        ConfusionMatrix cm = ClosedSetMetrics.confusionMatrix(new int[] {0}, new int[] {0}, 2);
        cm.counts()[0][0] = 99;
        assertEquals(1, cm.counts()[0][0]);
    }

    // ------------------------------------------------------------------------------------ calibration

    @Test
    void softmaxIsStable() {
        assertArrayEquals(new double[] {0.5, 0.5}, ClosedSetMetrics.softmax(new double[] {1000, 1000}), 0);
        double[] x = {0.3, -1.2, 2.5};
        double z = Math.exp(0.3) + Math.exp(-1.2) + Math.exp(2.5);
        assertArrayEquals(new double[] {Math.exp(0.3) / z, Math.exp(-1.2) / z, Math.exp(2.5) / z},
                ClosedSetMetrics.softmax(x), 1e-15);
        assertArrayEquals(ClosedSetMetrics.softmax(new double[] {1, 2}), ClosedSetMetrics.softmax(new float[] {1, 2}));
        assertBad("row", () -> ClosedSetMetrics.softmax(new double[] {1, Double.POSITIVE_INFINITY}));
    }

    @Test
    void binEdgesAreNumpyLinspace() {
        double[] e = ClosedSetMetrics.binEdges(15);
        assertEquals(16, e.length);
        assertEquals(0.0, e[0]);
        assertEquals(1.0, e[15]);
        // np.linspace(0, 1, 16)[1] == 0.06666666666666667, [14] == 0.9333333333333333
        assertEquals(0.06666666666666667, e[1]);
        assertEquals(0.9333333333333333, e[14]);
    }

    @Test
    void eceHandWorked() {
        // 15 bins of width 1/15. Examples:
        //   0.95 right, 0.97 wrong  -> bin 14 (14/15 = 0.9333 < c <= 1): acc 1/2, conf 0.96, gap 0.46
        //   1.0 right              -> bin 14 too (upper edge inclusive): bin 14 becomes acc 2/3,
        //                             conf (0.95+0.97+1)/3 = 0.97333.., gap 0.30666..
        //   0.5 right              -> bin 7 (7/15 = 0.4667 < 0.5 <= 0.5333): acc 1, conf 0.5, gap 0.5
        //   0.0 wrong              -> no bin, but counts in n
        // n = 5: ECE = 3/5 * (0.97333.. - 2/3) + 1/5 * 0.5 = 0.6 * 0.306666.. + 0.1 = 0.284
        double[] c = {0.95, 0.97, 1.0, 0.5, 0.0};
        boolean[] ok = {true, false, true, true, false};
        Calibration cal = ClosedSetMetrics.calibration(c, ok, 15);
        assertEquals(0.284, cal.ece(), 1e-12);
        assertEquals(5, cal.n());
        assertEquals(3, cal.counts()[14]);
        assertEquals(1, cal.counts()[7]);
        assertEquals(4, Arrays.stream(cal.counts()).sum());
        assertEquals(2.0 / 3, cal.accuracy()[14], 1e-15);
        assertTrue(Double.isNaN(cal.confidence()[0]));
        // an example exactly on an inner edge belongs to the lower bin: 1/15 -> bin 0
        Calibration edge = ClosedSetMetrics.calibration(new double[] {ClosedSetMetrics.binEdges(15)[1]},
                new boolean[] {true}, 15);
        assertEquals(1, edge.counts()[0]);
        assertEquals(15, ((List<?>) cal.toMap().get("counts")).size());
    }

    @Test
    void eceAgreesWithADirectSum() {
        Random r = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(500);
            int bins = 1 + r.nextInt(20);
            double[] c = new double[n];
            boolean[] ok = new boolean[n];
            for (int i = 0; i < n; i++) {
                c[i] = r.nextInt(10) == 0 ? (r.nextInt(bins + 1)) / (double) bins : r.nextDouble();
                ok[i] = r.nextDouble() < c[i];
            }
            // direct: for every bin, scan all examples (edges as lo = b * (1.0 / bins), top edge 1.0)
            double expected = 0;
            for (int b = 0; b < bins; b++) {
                double lo = b * (1.0 / bins);
                double hi = b == bins - 1 ? 1.0 : (b + 1) * (1.0 / bins);
                int cnt = 0;
                int right = 0;
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    if (c[i] > lo && c[i] <= hi) {
                        cnt++;
                        sum += c[i];
                        right += ok[i] ? 1 : 0;
                    }
                }
                if (cnt > 0) {
                    expected += Math.abs(sum / cnt - (double) right / cnt) * cnt / n;
                }
            }
            assertEquals(expected, ClosedSetMetrics.calibration(c, ok, bins).ece(), 1e-12);
        }
    }

    @Test
    void calibrationFromLogits() {
        double[][] logits = {{2, 0, 0}, {0, 1, 1}, {3, 3, 0}};
        int[] y = {0, 2, 1};
        // confidences: softmax max; predictions 0 (right), 1 (first max; wrong), 0 (wrong)
        double[] conf = new double[3];
        for (int i = 0; i < 3; i++) {
            double z = 0;
            double mx = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) {
                z += Math.exp(v);
                mx = Math.max(mx, v);
            }
            conf[i] = Math.exp(mx) / z;
        }
        Calibration expected = ClosedSetMetrics.calibration(conf, new boolean[] {true, false, false}, 15);
        Calibration got = ClosedSetMetrics.calibrationFromLogits(logits, y, 15);
        assertEquals(expected.ece(), got.ece(), 1e-15);
        assertArrayEquals(expected.counts(), got.counts());
    }

    // ------------------------------------------------------------------------------------- long tail

    @Test
    void longTailBoundaries() {
        //                 class: 0   1   2    3    4  5
        long[] train = {19, 20, 100, 101, 0, 5000};
        // tail = {0, 4} (19, 0), medium = {1, 2} (20, 100), head = {3, 5} (101, 5000)
        int[] y = {0, 0, 1, 2, 2, 3, 5, 5, 5, 4};
        int[] p = {0, 1, 1, 2, 0, 3, 5, 0, 5, 4};
        LongTailAccuracy lt = ClosedSetMetrics.longTailAccuracy(y, p, train);
        assertArrayEquals(new int[] {3, 5}, lt.headClasses());
        assertArrayEquals(new int[] {1, 2}, lt.mediumClasses());
        assertArrayEquals(new int[] {0, 4}, lt.tailClasses());
        assertEquals(3.0 / 4, lt.head(), 1e-15);   // 3 right, 5 right, 5 wrong, 5 right
        assertEquals(2.0 / 3, lt.medium(), 1e-15); // 1 right, 2 right, 2 wrong
        assertEquals(2.0 / 3, lt.tail(), 1e-15);   // 0 right, 0 wrong, 4 right
        assertEquals(4, lt.headTest());
        assertEquals(3, lt.mediumTest());
        assertEquals(3, lt.tailTest());
        LongTailAccuracy noTail = ClosedSetMetrics.longTailAccuracy(new int[] {0}, new int[] {0},
                new long[] {500, 7});
        assertTrue(Double.isNaN(noTail.tail())); // class 1 is tail but has no test example
        assertNull(noTail.toMap().get("medium"));
        assertEquals(1.0, noTail.head());
    }

    // ----------------------------------------------------------------------------------- bad inputs

    @Test
    void badInputsNameTheArgument() {
        double[][] s = {{1, 2}, {3, 4}};
        assertBad("k", () -> ClosedSetMetrics.topKAccuracy(s, new int[] {0, 1}, 0));
        assertBad("k", () -> ClosedSetMetrics.predictedTopK(new double[] {1}, -1));
        assertBad("labels", () -> ClosedSetMetrics.topKAccuracy(s, new int[] {0}, 1));
        assertBad("labels[1]", () -> ClosedSetMetrics.topKAccuracy(s, new int[] {0, 2}, 1));
        assertBad("labels[0]", () -> ClosedSetMetrics.topKAccuracy(s, new int[] {-1, 0}, 1));
        assertBad("scores[1][0]", () -> ClosedSetMetrics.topKAccuracy(new double[][] {{1, 2}, {Double.NaN, 1}},
                new int[] {0, 1}, 1));
        assertBad("scores[1]", () -> ClosedSetMetrics.topKAccuracy(new double[][] {{1, 2}, {1}},
                new int[] {0, 1}, 1));
        assertBad("scores", () -> ClosedSetMetrics.topKAccuracy(new double[0][], new int[0], 1));
        assertBad("scores", () -> ClosedSetMetrics.topKAccuracy(new double[][] {{1}}, new int[] {0}, 1));
        assertBad("row", () -> ClosedSetMetrics.predictedTopK(new double[0], 1));
        assertBad("row[1]", () -> ClosedSetMetrics.predictedTopK(new double[] {1, Double.NaN}, 1));
        assertBad("predictions", () -> ClosedSetMetrics.confusionMatrix(new int[] {0, 1}, new int[] {0}, 2));
        assertBad("predictions[0]", () -> ClosedSetMetrics.confusionMatrix(new int[] {0}, new int[] {5}, 2));
        assertBad("labels", () -> ClosedSetMetrics.confusionMatrix(new int[0], new int[0], 2));
        assertBad("numClasses", () -> ClosedSetMetrics.confusionMatrix(new int[] {0}, new int[] {0}, 0));
        assertBad("confidences[0]", () -> ClosedSetMetrics.calibration(new double[] {1.5}, new boolean[] {true}, 15));
        assertBad("confidences[0]", () -> ClosedSetMetrics.calibration(new double[] {Double.NaN},
                new boolean[] {true}, 15));
        assertBad("correct", () -> ClosedSetMetrics.calibration(new double[] {0.5}, new boolean[2], 15));
        assertBad("confidences", () -> ClosedSetMetrics.calibration(new double[0], new boolean[0], 15));
        assertBad("bins", () -> ClosedSetMetrics.calibration(new double[] {0.5}, new boolean[1], 0));
        assertBad("logits[0]", () -> ClosedSetMetrics.calibrationFromLogits(new double[][] {{1, Double.NaN}},
                new int[] {0}, 15));
        assertBad("trainCounts[1]", () -> ClosedSetMetrics.longTailAccuracy(new int[] {0}, new int[] {0},
                new long[] {1, -1}));
        assertBad("labels[0]", () -> ClosedSetMetrics.longTailAccuracy(new int[] {3}, new int[] {0},
                new long[] {1, 1}));
        assertBad("trainCounts", () -> ClosedSetMetrics.longTailAccuracy(new int[] {0}, new int[] {0},
                new long[0]));
    }
}
