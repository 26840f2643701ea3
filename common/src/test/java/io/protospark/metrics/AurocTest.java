package io.protospark.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static io.protospark.metrics.ClosedSetMetricsTest.assertBad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class AurocTest {

    /** Mann–Whitney by brute force: every (positive, negative) pair, a tie counting 1/2. */
    static double bruteForce(double[] s, boolean[] pos) {
        double u = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (pos[i] && !pos[j]) {
                    pairs++;
                    if (s[i] > s[j]) {
                        u += 1;
                    } else if (s[i] == s[j]) {
                        u += 0.5;
                    }
                }
            }
        }
        return u / pairs;
    }

    @Test
    void handWorked() {
        // sklearn's docstring example: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8] -> 0.75
        assertEquals(0.75, Auroc.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}));
        // all tied: 0.5
        assertEquals(0.5, Auroc.auroc(new double[] {1, 1, 1}, new boolean[] {true, false, true}));
        // positives {2, 1}, negatives {1, 0}: pairs (2,1)=1 (2,0)=1 (1,1)=1/2 (1,0)=1 -> 3.5/4
        assertEquals(0.875, Auroc.auroc(new double[] {2, 1}, new double[] {1, 0}));
        // -0.0 and 0.0 tie
        assertEquals(0.5, Auroc.auroc(new double[] {-0.0}, new double[] {0.0}));
        assertEquals(1.0, Auroc.auroc(new double[] {Double.POSITIVE_INFINITY}, new double[] {1e308}));
    }

    @Test
    void agreesWithBruteForceIncludingTies() {
        Random r = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            int n = 2 + r.nextInt(200);
            double[] s = new double[n];
            boolean[] pos = new boolean[n];
            int distinct = 1 + r.nextInt(trial % 2 == 0 ? 5 : 1000);
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(distinct) * 0.25 - 3;
                pos[i] = r.nextBoolean();
            }
            pos[0] = true;
            pos[1] = false;
            assertEquals(bruteForce(s, pos), Auroc.auroc(s, pos), 1e-12);
        }
    }

    @Test
    void rocPointsAgreeWithCountingAtEachDistinctScore() {
        Random r = new Random(5);
        for (int trial = 0; trial < 100; trial++) {
            int n = 2 + r.nextInt(60);
            double[] s = new double[n];
            boolean[] pos = new boolean[n];
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(8);
                pos[i] = r.nextBoolean();
            }
            pos[0] = true;
            pos[1] = false;
            TreeSet<Double> values = new TreeSet<>();
            int np = 0;
            for (int i = 0; i < n; i++) {
                values.add(s[i]);
                np += pos[i] ? 1 : 0;
            }
            List<Double> thr = new ArrayList<>(values.descendingSet());
            RocCurve roc = Auroc.roc(s, pos);
            assertEquals(thr.size() + 1, roc.thresholds().length);
            assertEquals(Double.POSITIVE_INFINITY, roc.thresholds()[0]);
            assertEquals(0.0, roc.fpr()[0]);
            assertEquals(0.0, roc.tpr()[0]);
            for (int p = 0; p < thr.size(); p++) {
                double t = thr.get(p);
                int tp = 0;
                int fp = 0;
                for (int i = 0; i < n; i++) {
                    if (s[i] >= t) {
                        if (pos[i]) {
                            tp++;
                        } else {
                            fp++;
                        }
                    }
                }
                assertEquals(t, roc.thresholds()[p + 1]);
                assertEquals((double) tp / np, roc.tpr()[p + 1]);
                assertEquals((double) fp / (n - np), roc.fpr()[p + 1]);
            }
            // the trapezoid under the points is the AUROC
            double area = 0;
            for (int p = 1; p < roc.fpr().length; p++) {
                area += (roc.fpr()[p] - roc.fpr()[p - 1]) * (roc.tpr()[p] + roc.tpr()[p - 1]) / 2;
            }
            assertEquals(bruteForce(s, pos), area, 1e-12);
        }
    }

    @Test
    void rocHandWorkedAndMap() {
        // sklearn roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], drop_intermediate=False):
        // thresholds [inf, 0.8, 0.4, 0.35, 0.1], tpr [0, .5, .5, 1, 1], fpr [0, 0, .5, .5, 1]
        RocCurve roc = Auroc.roc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1}, roc.thresholds());
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1}, roc.tpr());
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1}, roc.fpr());
        assertNull(((List<?>) roc.toMap().get("thresholds")).get(0));
    }

    @Test
    void badInputsNameTheArgument() {
        assertBad("positive", () -> Auroc.auroc(new double[] {1, 2}, new boolean[] {true, true}));
        assertBad("positive", () -> Auroc.auroc(new double[] {1, 2}, new boolean[] {true}));
        assertBad("scores[1]", () -> Auroc.auroc(new double[] {1, Double.NaN}, new boolean[] {true, false}));
        assertBad("negatives", () -> Auroc.auroc(new double[] {1}, new double[0]));
        assertBad("positives[0]", () -> Auroc.auroc(new double[] {Double.NaN}, new double[] {1}));
        assertBad("positive", () -> Auroc.roc(new double[] {1}, new boolean[] {false}));
        assertBad("scores", () -> Auroc.roc(null, new boolean[] {false}));
    }
}
