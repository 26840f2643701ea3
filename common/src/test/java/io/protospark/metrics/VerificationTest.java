package io.protospark.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.protospark.metrics.ClosedSetMetricsTest.assertBad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class VerificationTest {

    @Test
    void thresholdsAreNumpyArange() {
        double[] t = Verification.accuracyThresholds();
        assertEquals(400, t.length);
        assertEquals(0.0, t[0]);
        // np.arange(0, 4, 0.01)[3] == 0.03, [7] == 0.07 and [399] == 3.99 as NumPy prints them
        assertEquals(0.03, t[3]);
        assertEquals(0.07, t[7]);
        assertEquals(3.99, t[399]);
        assertEquals(4000, Verification.valThresholds().length);
        assertEquals(3.999, Verification.valThresholds()[3999]);
    }

    @Test
    void foldsAreSklearnKFold() {
        // KFold(10).split(range(23)): test folds of 3, 3, 3, 2, 2, 2, 2, 2, 2, 2
        int[][] r = Verification.foldTestRanges(23, 10);
        int[] starts = {0, 3, 6, 9, 11, 13, 15, 17, 19, 21};
        for (int f = 0; f < 10; f++) {
            assertEquals(starts[f], r[f][0]);
            assertEquals(f == 9 ? 23 : starts[f + 1], r[f][1]);
        }
        assertArrayEquals(new int[] {0, 5}, Verification.foldTestRanges(5, 1)[0]);
    }

    @Test
    void squaredDistancesAndNormalize() {
        double[][] a = {{3, 4}, {0, 0}};
        double[][] n = Verification.l2normalize(a);
        assertArrayEquals(new double[] {0.6, 0.8}, n[0], 1e-15);
        assertArrayEquals(new double[] {0, 0}, n[1]);
        double[] d = Verification.squaredDistances(new double[][] {{1, 0}, {0.6, 0.8}}, new double[][] {{0, 1}, {0.6, 0.8}});
        assertArrayEquals(new double[] {2, 0}, d, 1e-15);
        // NumPy's pairwise order: np.sum of this array is 33400000000.003326 (NumPy 1.24 and 2.4), a naive
        // left-to-right loop gives 33400000000.00331
        double[] big = new double[1000];
        for (int i = 0; i < big.length; i++) {
            big[i] = i % 3 == 0 ? 1e8 : 1e-8 * i;
        }
        assertEquals(33400000000.003326, NumpyArith.sum(big));
    }

    /** A perfectly separable case: same pairs at distance 0.5, different pairs at 2.0. */
    @Test
    void separablePairsScorePerfectly() {
        int n = 100;
        double[] dist = new double[n];
        boolean[] same = new boolean[n];
        for (int i = 0; i < n; i++) {
            same[i] = i % 2 == 0;
            dist[i] = same[i] ? 0.5 : 2.0;
        }
        VerificationRoc roc = Verification.calculateRoc(Verification.accuracyThresholds(), dist, same, 10);
        assertArrayEquals(new double[10], subtract(roc.foldAccuracy(), 1.0), 0);
        // np.argmax: the first threshold with accuracy 1 is the first above 0.5, i.e. 51 * 0.01 = 0.51
        for (double t : roc.foldBestThreshold()) {
            assertEquals(0.51, t);
        }
        assertEquals(1.0, roc.accuracyMean());
        assertEquals(0.0, roc.accuracyStd());
        assertEquals(0.0, roc.tpr()[50]);  // 0.5 < 0.50 is false
        assertEquals(1.0, roc.tpr()[51]);
        assertEquals(0.0, roc.fpr()[200]); // 2.0 < 2.00 is false
        assertEquals(1.0, roc.fpr()[201]);

        // TAR@FAR: far_train = 0 up to threshold 2.000 (index 2000), 1 from 2.001 on. slinear at 1e-3 between
        // (0, 2.000) and (1, 2.001): 2.000 * 0.999 + 2.001 * 0.001 = 2.000001, which accepts the different pairs
        // at exactly 2.0 as well: val = 1 and far = 1 in every fold (the reference's result too).
        VerificationVal val = Verification.calculateVal(Verification.valThresholds(), dist, same, 1e-3, 10);
        for (int f = 0; f < 10; f++) {
            assertEquals(2.000001, val.foldThreshold()[f], 1e-12);
        }
        assertEquals(1.0, val.valMean());
        assertEquals(1.0, val.farMean());
        assertEquals(0.0, val.valStd());
    }

    /** TAR@FAR worked by hand on 20 pairs, 2 folds, thresholds 0, 1, 2, 3 and FAR target 0.25. */
    @Test
    void tarAtFarHandWorked() {
        // pairs 0..9 (fold 0's test part, fold 1's train part)
        //   same: 0.3, 1.0, 1.3, 2.0        different: 0.9, 1.24, 1.26, 3.0, 3.1, 3.2
        // pairs 10..19 (fold 1's test part, fold 0's train part)
        //   same: 0.5, 0.5, 1.5, 2.5        different: 0.7, 1.2, 1.8, 2.2, 2.8, 3.5
        double[] dist = {0.3, 0.9, 1.0, 1.24, 1.3, 1.26, 2.0, 3.0, 3.1, 3.2,
                0.5, 0.7, 0.5, 1.2, 1.5, 1.8, 2.5, 2.2, 2.8, 3.5};
        boolean[] same = {true, false, true, false, true, false, true, false, false, false,
                true, false, true, false, true, false, true, false, false, false};
        double[] thr = {0, 1, 2, 3};
        // fold 0: far_train (pairs 10..19, dist < t among 6 different) = [0, 1/6, 3/6, 5/6]; at 0.25 between
        //   (1/6, 1) and (1/2, 2): 1 + (0.25 - 1/6) / (1/2 - 1/6) = 1.25.
        //   test part at 1.25: same 0.3, 1.0 of 4 -> val 1/2; different 0.9, 1.24 of 6 -> far 1/3
        // fold 1: far_train (pairs 0..9) = [0, 1/6, 3/6, 3/6] (3.0 < 3 is false); again 1.25.
        //   test part at 1.25: same 0.5, 0.5 of 4 -> 1/2; different 0.7, 1.2 of 6 -> 1/3
        VerificationVal v = Verification.calculateVal(thr, dist, same, 0.25, 2);
        assertArrayEquals(new double[] {1.25, 1.25}, v.foldThreshold(), 1e-12);
        assertArrayEquals(new double[] {0.5, 0.5}, v.foldVal(), 0);
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3}, v.foldFar(), 1e-15);
        assertEquals(0.5, v.valMean());
        assertEquals(0.0, v.valStd());
        assertEquals(1.0 / 3, v.farMean(), 1e-15);
        // FAR target 0.5 sits on fold 1's plateau [0, 1/6, 1/2, 1/2]: the last 1/2 wins... and it is the largest
        // value, repeated: SciPy <= 1.8's empty last knot interval gives threshold 0.0 -> val 0, far 0.
        // Fold 0 ([0, 1/6, 1/2, 5/6]): 0.5 is hit exactly at threshold 2.
        VerificationVal p = Verification.calculateVal(thr, dist, same, 0.5, 2);
        assertArrayEquals(new double[] {2.0, 0.0}, p.foldThreshold(), 1e-12);
        assertArrayEquals(new double[] {0.75, 0.0}, p.foldVal(), 0); // 0.3, 1.0, 1.3 < 2 of 4
        // FAR target above every far_train of a fold: threshold 0.0
        VerificationVal z = Verification.calculateVal(thr, dist, same, 0.9, 2);
        assertArrayEquals(new double[] {0.0, 0.0}, z.foldThreshold(), 0);
    }

    @Test
    void slinearFollowsScipy18() {
        // unsorted x: sorted stably to x = [0, 1, 2], y = [10, 20, 40]
        assertEquals(30.0, Verification.slinear(new double[] {2, 0, 1}, new double[] {40, 10, 20}, 1.5), 1e-12);
        // repeated x: at the repeated value the last occurrence's y; between two values, from the last
        // occurrence of the lower one to the first occurrence of the higher one
        double[] x = {0, 0, 0.5, 0.5, 1};
        double[] y = {1, 2, 3, 4, 5};
        assertEquals(2.0, Verification.slinear(x, y, 0.0));
        assertEquals(2.5, Verification.slinear(x, y, 0.25), 1e-12); // between (0, 2) and (0.5, 3)
        assertEquals(4.0, Verification.slinear(x, y, 0.5));
        assertEquals(4.5, Verification.slinear(x, y, 0.75), 1e-12);
        assertEquals(5.0, Verification.slinear(x, y, 1.0));
        // the largest x repeated and hit exactly: 0.0
        assertEquals(0.0, Verification.slinear(new double[] {0, 1, 1}, new double[] {5, 6, 7}, 1.0));
        assertEquals(5.5, Verification.slinear(new double[] {0, 1, 1}, new double[] {5, 6, 7}, 0.5), 1e-12);
        assertBad("xNew", () -> Verification.slinear(new double[] {0, 1}, new double[] {0, 1}, 1.5));
        assertBad("xNew", () -> Verification.slinear(new double[] {0, 1}, new double[] {0, 1}, -0.1));
        assertBad("x", () -> Verification.slinear(new double[] {0}, new double[] {0}, 0));
        assertBad("y", () -> Verification.slinear(new double[] {0, 1}, new double[] {0}, 0));
    }

    // ------------------------------------------------------------------------- brute-force re-implementation

    static double[] bruteAccuracy(double t, double[] dist, boolean[] same, List<Integer> idx) {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (int i : idx) {
            boolean p = dist[i] < t;
            if (p && same[i]) {
                tp++;
            } else if (p) {
                fp++;
            } else if (same[i]) {
                fn++;
            } else {
                tn++;
            }
        }
        double tpr = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        double fpr = fp + tn == 0 ? 0 : (double) fp / (fp + tn);
        return new double[] {tpr, fpr, (double) (tp + tn) / idx.size(), tp, fp, tp + fn, fp + tn};
    }

    static List<List<List<Integer>>> bruteFolds(int n, int folds) {
        List<List<List<Integer>>> out = new ArrayList<>();
        int start = 0;
        for (int f = 0; f < folds; f++) {
            int size = n / folds + (f < n % folds ? 1 : 0);
            List<Integer> test = new ArrayList<>();
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                (i >= start && i < start + size ? test : train).add(i);
            }
            out.add(List.of(train, test));
            start += size;
        }
        return out;
    }

    /** Independent interpolation: stable insertion sort of (x, y), last x_j <= v with j <= m-2, de Boor k=1. */
    static double bruteSlinear(double[] x, double[] y, double v) {
        int m = x.length;
        double[][] p = new double[m][];
        for (int i = 0; i < m; i++) {
            p[i] = new double[] {x[i], y[i]};
            for (int j = i; j > 0 && p[j - 1][0] > p[j][0]; j--) {
                double[] t = p[j];
                p[j] = p[j - 1];
                p[j - 1] = t;
            }
        }
        int j = -1;
        for (int i = 0; i <= m - 2; i++) {
            if (p[i][0] <= v) {
                j = i;
            }
        }
        if (p[j + 1][0] == p[j][0]) {
            return 0.0;
        }
        return p[j][1] + (v - p[j][0]) * (p[j + 1][1] - p[j][1]) / (p[j + 1][0] - p[j][0]);
    }

    @Test
    void agreesWithABruteForceReimplementationOnRandomData() {
        Random r = new Random(23);
        for (int trial = 0; trial < 12; trial++) {
            int n = 60 + r.nextInt(400);
            int d = 2 + r.nextInt(6);
            double[][] e1 = new double[n][d];
            double[][] e2 = new double[n][d];
            boolean[] same = new boolean[n];
            for (int i = 0; i < n; i++) {
                same[i] = i % 2 == 0 ? true : r.nextInt(3) == 0;
                for (int j = 0; j < d; j++) {
                    e1[i][j] = r.nextGaussian();
                    e2[i][j] = same[i] ? e1[i][j] + 0.7 * r.nextGaussian() : r.nextGaussian();
                }
            }
            e1 = Verification.l2normalize(e1);
            e2 = Verification.l2normalize(e2);
            double[] dist = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    dist[i] += (e1[i][j] - e2[i][j]) * (e1[i][j] - e2[i][j]);
                }
            }
            int folds = trial < 10 ? 10 : 1 + r.nextInt(5);
            double[] thr = Verification.thresholds(400, 0.01);
            double farTarget = trial % 3 == 0 ? 1e-3 : 0.05 + 0.3 * r.nextDouble();
            double[] thrVal = Verification.thresholds(4000, 0.001);

            List<List<List<Integer>>> fs = bruteFolds(n, folds);
            double[] acc = new double[folds];
            double[] val = new double[folds];
            double[] far = new double[folds];
            double[] meanTpr = new double[thr.length];
            for (int f = 0; f < folds; f++) {
                List<Integer> train = folds == 1 ? fs.get(f).get(1) : fs.get(f).get(0);
                List<Integer> test = fs.get(f).get(1);
                int best = 0;
                for (int t = 0; t < thr.length; t++) {
                    if (bruteAccuracy(thr[t], dist, same, train)[2] > bruteAccuracy(thr[best], dist, same, train)[2]) {
                        best = t;
                    }
                    meanTpr[t] += bruteAccuracy(thr[t], dist, same, test)[0] / folds;
                }
                acc[f] = bruteAccuracy(thr[best], dist, same, test)[2];
                double[] farTrain = new double[thrVal.length];
                double max = 0;
                for (int t = 0; t < thrVal.length; t++) {
                    double[] a = bruteAccuracy(thrVal[t], dist, same, train);
                    farTrain[t] = a[4] / a[6];
                    max = Math.max(max, farTrain[t]);
                }
                double th = max >= farTarget ? bruteSlinear(farTrain, thrVal, farTarget) : 0.0;
                double[] a = bruteAccuracy(th, dist, same, test);
                val[f] = a[3] / a[5];
                far[f] = a[4] / a[6];
            }
            VerificationResult res = Verification.evaluate(e1, e2, same, folds);
            VerificationRoc roc = res.roc();
            assertArrayEquals(acc, roc.foldAccuracy(), 1e-12);
            assertArrayEquals(meanTpr, roc.tpr(), 1e-12);
            double mean = 0;
            for (double v : acc) {
                mean += v / folds;
            }
            double var = 0;
            for (double v : acc) {
                var += (v - mean) * (v - mean) / folds;
            }
            assertEquals(mean, roc.accuracyMean(), 1e-12);
            assertEquals(Math.sqrt(var), roc.accuracyStd(), 1e-12);
            VerificationVal v = Verification.calculateVal(thrVal, Verification.squaredDistances(e1, e2), same,
                    farTarget, folds);
            assertArrayEquals(val, v.foldVal(), 1e-12);
            assertArrayEquals(far, v.foldFar(), 1e-12);
            if (farTarget == 1e-3) {
                assertArrayEquals(val, res.val().foldVal(), 1e-12);
            }
        }
    }

    @Test
    void interleavedIsPairwise() {
        double[][] e = {{1, 0}, {1, 0}, {1, 0}, {0, 1}};
        boolean[] same = {true, false};
        VerificationResult r = Verification.evaluateInterleaved(e, same, 1);
        assertEquals(2, r.pairs());
        assertEquals(1.0, r.roc().accuracyMean());
        assertBad("embeddings", () -> Verification.evaluateInterleaved(new double[][] {{1}, {1}, {1}}, same, 1));
    }

    @Test
    void badInputsNameTheArgument() {
        double[] dist = new double[20];
        boolean[] same = new boolean[20];
        same[0] = true;
        assertBad("issame", () -> Verification.calculateRoc(Verification.accuracyThresholds(), dist,
                new boolean[19], 10));
        assertBad("folds", () -> Verification.calculateRoc(Verification.accuracyThresholds(), dist, same, 0));
        assertBad("n", () -> Verification.calculateRoc(Verification.accuracyThresholds(), new double[5],
                new boolean[5], 10));
        assertBad("dist[3]", () -> Verification.calculateRoc(Verification.accuracyThresholds(),
                new double[] {0, 0, 0, Double.NaN}, new boolean[4], 2));
        // fold 1's test part (pairs 10..19) has no same pair
        assertBad("issame", () -> Verification.calculateVal(Verification.valThresholds(), dist, same, 1e-3, 2));
        assertBad("farTarget", () -> Verification.calculateVal(Verification.valThresholds(), dist, same, 0, 2));
        assertBad("thresholds", () -> Verification.calculateVal(new double[] {0}, dist, same, 0.1, 2));
        assertBad("embeddings2", () -> Verification.squaredDistances(new double[][] {{1, 2}}, new double[][] {{1}}));
        assertBad("embeddings2", () -> Verification.squaredDistances(new double[][] {{1, 2}},
                new double[][] {{1, 2}, {3, 4}}));
        assertBad("embeddings1[0][1]", () -> Verification.squaredDistances(new double[][] {{1, Double.NaN}},
                new double[][] {{1, 2}}));
        assertBad("issame", () -> Verification.evaluate(new double[][] {{1}}, new double[][] {{1}}, new boolean[2], 1));
        assertBad("count", () -> Verification.thresholds(0, 0.1));
        assertBad("step", () -> Verification.thresholds(3, 0));
        assertBad("v", () -> Verification.l2normalize(new double[] {Double.NaN}));
    }

    private static double[] subtract(double[] a, double b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b;
        }
        return out;
    }
}
