package io.protospark.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.protospark.metrics.ClosedSetMetricsTest.assertBad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class OscrTest {

    @Test
    void handWorked() {
        // known: 0.9 (correct), 0.6 (wrong), 0.4 (correct); unknown: 0.7, 0.3. n1 = 3, n2 = 2, n = 5.
        // sorted ascending: 0.3 u, 0.4 k+, 0.6 k-, 0.7 u, 0.9 k+
        //   s_k = [0, 1, 0, 0, 1], s_u = [1, 0, 0, 1, 0]
        // k = 0: CC = sum s_k[1:] = 2 -> CCR 2/3; FP = sum s_u[0:] = 2 -> FPR 1
        // k = 1: CC = sum s_k[2:] = 1 -> 1/3;     FP = sum s_u[1:] = 1 -> 1/2
        // k = 2: 1/3, 1/2;  k = 3: CC = sum s_k[4:] = 1 -> 1/3, FP = sum s_u[3:] = 1 -> 1/2
        // [4] = (0, 0) never set, [5] = (0, 0), [6] = (1, 1)
        // descending: (1,1) (1,2/3) (1/2,1/3) x3 (0,0) x2
        // trapezoids: 0 + (1 - 1/2)(2/3 + 1/3)/2 + 0 + 0 + (1/2 - 0)(1/3 + 0)/2 + 0 = 1/4 + 1/12 = 1/3
        OscrResult r = Oscr.compute(new double[] {0.9, 0.6, 0.4}, new boolean[] {true, false, true},
                new double[] {0.7, 0.3});
        assertEquals(1.0 / 3, r.oscr(), 1e-15);
        assertArrayEquals(new double[] {1, 1, 0.5, 0.5, 0.5, 0, 0}, r.fpr(), 1e-15);
        assertArrayEquals(new double[] {1, 2.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0}, r.ccr(), 1e-15);
        // the same from score matrices (max score, argmax prediction)
        OscrResult m = Oscr.fromScores(new double[][] {{0.9, 0.1}, {0.6, 0.4}, {0.2, 0.4}}, new int[] {0, 1, 1},
                new double[][] {{0.7, 0.3}, {0.3, 0.1}});
        assertEquals(1.0 / 3, m.oscr(), 1e-15);
    }

    @Test
    void tiesKeepKnownBeforeUnknown() {
        // known 0.5 (correct) and unknown 0.5 tie. Stable order: known first.
        //   s_k = [1, 0], s_u = [0, 1]; k = 0: CC = sum s_k[1:] = 0, FP = sum s_u[0:] = 1 -> (1, 0)
        //   points (1,0) (0,0) (0,0) (1,1) -> descending (1,1) (1,0) (0,0) (0,0): area (1-0)(0+0)/2 = 0
        // (Unknown first would give (1,1) twice and area 1/2: NumPy's unstable default argsort may do either.)
        assertEquals(0.0, Oscr.oscr(new double[] {0.5}, new boolean[] {true}, new double[] {0.5}));
    }

    /** ARPL's compute_oscr transcribed literally: O(n²) sums over a stably sorted list. */
    static double direct(double[] x1, boolean[] correct, double[] x2) {
        int n1 = x1.length;
        int n = n1 + x2.length;
        double[] predict = new double[n];
        double[] kTarget = new double[n];
        double[] uTarget = new double[n];
        for (int i = 0; i < n; i++) {
            predict[i] = i < n1 ? x1[i] : x2[i - n1];
            kTarget[i] = i < n1 && correct[i] ? 1 : 0;
            uTarget[i] = i < n1 ? 0 : 1;
        }
        // insertion sort of indices: stable, ascending
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            int j = i;
            while (j > 0 && predict[idx[j - 1]] > predict[i]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = i;
        }
        double[] ccr = new double[n + 2];
        double[] fpr = new double[n + 2];
        for (int k = 0; k < n - 1; k++) {
            double cc = 0;
            double fp = 0;
            for (int i = k + 1; i < n; i++) {
                cc += kTarget[idx[i]];
            }
            for (int i = k; i < n; i++) {
                fp += uTarget[idx[i]];
            }
            ccr[k] = cc / n1;
            fpr[k] = fp / x2.length;
        }
        ccr[n + 1] = 1;
        fpr[n + 1] = 1;
        List<double[]> roc = new ArrayList<>();
        for (int i = 0; i < n + 2; i++) {
            roc.add(new double[] {fpr[i], ccr[i]});
        }
        roc.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0]) : Double.compare(b[1], a[1]));
        double oscr = 0;
        for (int j = 0; j <= n; j++) {
            oscr += (roc.get(j)[0] - roc.get(j + 1)[0]) * (roc.get(j)[1] + roc.get(j + 1)[1]) / 2.0;
        }
        return oscr;
    }

    @Test
    void agreesWithADirectImplementationOnRandomData() {
        Random r = new Random(17);
        for (int trial = 0; trial < 300; trial++) {
            int n1 = 1 + r.nextInt(80);
            int n2 = 1 + r.nextInt(80);
            boolean ties = trial % 2 == 0;
            double[] x1 = new double[n1];
            boolean[] c = new boolean[n1];
            double[] x2 = new double[n2];
            for (int i = 0; i < n1; i++) {
                x1[i] = ties ? r.nextInt(6) / 5.0 : 0.3 + 0.7 * r.nextDouble();
                c[i] = r.nextDouble() < 0.7;
            }
            for (int i = 0; i < n2; i++) {
                x2[i] = ties ? r.nextInt(6) / 5.0 : r.nextDouble();
            }
            assertEquals(direct(x1, c, x2), Oscr.oscr(x1, c, x2), 1e-12);
        }
    }

    @Test
    void badInputsNameTheArgument() {
        assertBad("unknownScores", () -> Oscr.oscr(new double[] {1}, new boolean[] {true}, new double[0]));
        assertBad("knownScores", () -> Oscr.oscr(new double[0], new boolean[0], new double[] {1}));
        assertBad("knownCorrect", () -> Oscr.oscr(new double[] {1, 2}, new boolean[] {true}, new double[] {1}));
        assertBad("knownScores[0]", () -> Oscr.oscr(new double[] {Double.NaN}, new boolean[] {true},
                new double[] {1}));
        assertBad("unknownScores[1]", () -> Oscr.oscr(new double[] {1}, new boolean[] {true},
                new double[] {1, Double.NaN}));
        assertBad("knownLabels[0]", () -> Oscr.fromScores(new double[][] {{1, 2}}, new int[] {2},
                new double[][] {{1}}));
    }
}
