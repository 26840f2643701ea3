package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.SimplexCentres;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NirvanaOpenSetLossTest extends LossFixture {
    /** Labels with −1 for an outlier (all-zero row). */
    private static INDArray labels(int k, int... y) {
        INDArray out = Nd4j.zeros(DataType.DOUBLE, y.length, k);
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= 0) {
                out.putScalar(i, y[i], 1.0);
            }
        }
        return out;
    }

    private static double d2(INDArray a, int i, INDArray b, int k) {
        double s = 0;
        for (int j = 0; j < a.columns(); j++) {
            double d = a.getDouble(i, j) - b.getDouble(k, j);
            s += d * d;
        }
        return s;
    }

    /** The three terms straight from the formulas. */
    private static double[] bruteForce(INDArray s, int[] y, INDArray f, double m, boolean ramp) {
        int c = (int) s.rows();
        int dim = (int) s.columns();
        int known = 0;
        int outl = 0;
        for (int v : y) {
            if (v >= 0) {
                known++;
            } else {
                outl++;
            }
        }
        double intra = 0;
        double inter = 0;
        double out = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0) {
                continue;
            }
            double dy = d2(f, i, s, y[i]);
            intra += dy;
            for (int k = 0; k < c; k++) {
                if (k != y[i]) {
                    double h = Math.max(0, m + dy - d2(f, i, s, k));
                    inter += ramp ? Math.min(h, 60) : h;
                }
            }
            for (int j = 0; j < y.length; j++) {
                if (y[j] < 0) {
                    double h = Math.max(0, m + dy - d2(f, j, s, y[i]));
                    out += ramp ? Math.min(h, 60) : h;
                }
            }
        }
        return new double[] {intra / (2.0 * known * dim), inter / (2.0 * known * c),
            outl == 0 ? 0 : out / (2.0 * known * outl)};
    }

    @Test
    void matchesTheFormulasAndDl4jScoreIsTheTotal() {
        Nd4j.getRandom().setSeed(17);
        INDArray s = LossChecks.rows(SimplexCentres.centred(4, 5, 3.0));
        int[] y = {0, 3, -1, 2, 2, -1, 1, -1};
        INDArray lab = labels(4, y);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 8, 5).muli(2.0);
        for (boolean ramp : new boolean[] {false, true}) {
            NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(s, 20.0, ramp);
            double[] want = bruteForce(s, y, f, 20.0, ramp);
            NirvanaOpenSetLoss.Terms got = loss.terms(lab, f);
            assertEquals(want[0], got.intra(), 1e-10);
            assertEquals(want[1], got.inter(), 1e-10);
            assertEquals(want[2], got.out(), 1e-10);
            assertEquals(5, got.known());
            assertEquals(3, got.outliers());
            assertTrue(got.intra() > 0 && got.inter() > 0 && got.out() > 0);
            assertEquals(got.total(), loss.computeScore(lab, f, ID, null, true), 1e-10);
            INDArray rows = loss.computeScoreArray(lab, f, ID, null);
            assertEquals(0.0, rows.getDouble(2), 0.0);
            assertTrue(LossChecks.centralDifference(loss, lab, f, null) < 1e-5);
        }
        // the ramp only lowers the loss (clamps hinges at 60)
        INDArray far = f.mul(6.0);
        assertTrue(new NirvanaOpenSetLoss(s, 20.0, true).terms(lab, far).total()
                < new NirvanaOpenSetLoss(s, 20.0, false).terms(lab, far).total());
    }

    @Test
    void interIsZeroOnTheCentresWhenTheMarginIsWithinTheCentreDistance() {
        INDArray s = LossChecks.rows(SimplexCentres.findCenters(4, 200.0)); // seed's Expand 200
        double minD2 = Double.MAX_VALUE;
        for (int a = 0; a < 5; a++) {
            for (int b = a + 1; b < 5; b++) {
                minD2 = Math.min(minD2, d2(s, a, s, b));
            }
        }
        int[] y = {0, 1, 2, 3, 4, 1};
        INDArray lab = labels(5, y);
        INDArray f = lab.mmul(s);
        NirvanaOpenSetLoss atBound = new NirvanaOpenSetLoss(s, minD2);
        NirvanaOpenSetLoss.Terms tAt = atBound.terms(lab, f);
        assertEquals(0.0, tAt.intra(), 1e-9);
        assertEquals(0.0, tAt.inter(), 1e-6);
        assertEquals(0.0, new NirvanaOpenSetLoss(s, 48.0).terms(lab, f).inter(), 0.0); // CLI margin 48
        assertTrue(new NirvanaOpenSetLoss(s, minD2 * 1.01).terms(lab, f).inter() > 0);
    }

    @Test
    void outlierTermGrowsAsAnOutlierApproachesTheCentre() {
        INDArray s = LossChecks.rows(SimplexCentres.centred(3, 4, 5.0));
        NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(s, 10.0);
        int[] y = {1, 1, -1};
        INDArray lab = labels(3, y);
        INDArray f = Nd4j.create(DataType.DOUBLE, 3, 4);
        f.putRow(0, s.getRow(1).mul(1.1));
        f.putRow(1, s.getRow(1).mul(0.8));
        INDArray far = s.getRow(0).mul(3.0);
        double prev = -1;
        for (int step = 0; step <= 10; step++) {
            double w = step / 10.0; // outlier moves from far away onto s_1
            f.putRow(2, far.mul(1 - w).add(s.getRow(1).mul(w)));
            NirvanaOpenSetLoss.Terms t = loss.terms(lab, f);
            assertTrue(t.intra() >= 0 && t.inter() >= 0 && t.out() >= 0);
            assertTrue(t.out() >= prev, "step " + step + ": " + t.out() + " < " + prev);
            prev = t.out();
        }
        assertTrue(prev > 0);
        // no outliers: no outlier term; no known examples: nothing
        assertEquals(0.0, loss.terms(labels(3, 1, 2), f.getRows(0, 1)).out(), 0.0);
        assertEquals(0.0, loss.computeScore(labels(3, -1, -1), f.getRows(0, 2), ID, null, true), 0.0);
        assertThrows(IllegalArgumentException.class,
                () -> loss.terms(DoublePrecision.oneHot(3, 0, 1).addi(DoublePrecision.oneHot(3, 1, 1)), f.getRows(0, 1)));
    }

    @Test
    void maskedRowsTakeNoPart() {
        Nd4j.getRandom().setSeed(2);
        INDArray s = LossChecks.rows(SimplexCentres.centred(3, 4, 2.0));
        NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(s, 3.0);
        int[] y = {0, 2, -1, 1, -1};
        INDArray f = Nd4j.randn(DataType.DOUBLE, 5, 4);
        INDArray mask = Nd4j.createFromArray(1.0, 1.0, 1.0, 0.0, 0.0).reshape(5, 1);
        double masked = loss.computeScore(labels(3, y), f, ID, mask, false);
        double[] sub = bruteForce(s, new int[] {0, 2, -1}, f.getRows(0, 1, 2), 3.0, false);
        assertEquals(5 * (sub[0] + sub[1] + sub[2]), masked, 1e-10);
        INDArray g = loss.computeGradient(labels(3, y), f, ID, mask);
        assertEquals(0.0, g.getRows(3, 4).amaxNumber().doubleValue(), 0.0);
        assertTrue(LossChecks.centralDifference(loss, labels(3, y), f, mask) < 1e-5);
    }

    @Test
    void gradientCheckThroughANetworkWithOutliers() {
        NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 1.0)), 1.0);
        MultiLayerNetwork net = LossChecks.net(loss, 5, Activation.IDENTITY);
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 6, 5).subi(0.5).muli(4.0);
        INDArray lab = labels(3, 0, 1, -1, 2, -1, 2);
        NirvanaOpenSetLoss.Terms t = loss.terms(lab, net.output(x));
        assertTrue(t.inter() > 0 && t.out() > 0, t.toString());
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                .net(net).input(x).labels(lab).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false)));
    }

    @Test
    void jsonRoundTripKeepsMarginAndRamp() {
        NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 2.0)), 2.5, true);
        LossChecks.jsonRoundTrip(loss, labels(3, 1, -1, 0), Nd4j.randn(DataType.DOUBLE, 3, 4));
        assertTrue(!loss.equals(new NirvanaOpenSetLoss(loss.getTargets(), 2.5, false)));
    }
}
