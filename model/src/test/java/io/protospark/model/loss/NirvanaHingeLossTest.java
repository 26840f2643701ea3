package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.SimplexCentres;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NirvanaHingeLossTest extends LossFixture {
    @Test
    void marginIsATenthOfTheCentreDistance() {
        // FindCenters(k, E): pairwise distance E·√(2(k+1)/k)
        int k = 4;
        double e = 5.0;
        NirvanaHingeLoss loss = new NirvanaHingeLoss(LossChecks.rows(SimplexCentres.findCenters(k, e)));
        assertEquals(e * Math.sqrt(2.0 * (k + 1) / k) / 10.0, loss.margin(), 1e-12);
        // FindCenters(2,5): ‖(3.53553,3.53553) − (1.29410,−4.82963)‖ / 10
        NirvanaHingeLoss golden = new NirvanaHingeLoss(LossChecks.rows(SimplexCentres.findCenters(2, 5.0)));
        assertEquals(Math.hypot(3.53553 - 1.29410, 3.53553 + 4.82963) / 10.0, golden.margin(), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> new NirvanaHingeLoss(Nd4j.ones(DataType.DOUBLE, 1, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> new NirvanaHingeLoss(Nd4j.ones(DataType.DOUBLE, 2, 3), -1.0));
    }

    @Test
    void zeroWhenAllSquaredDistancesAreWithinTheMargin() {
        INDArray s = LossChecks.rows(SimplexCentres.findCenters(4, 5.0));
        NirvanaHingeLoss loss = new NirvanaHingeLoss(s);
        double m = loss.margin();
        int[] y = {0, 1, 2, 3, 4, 4};
        INDArray labels = DoublePrecision.oneHot(5, y);
        Nd4j.getRandom().setSeed(3);
        INDArray dir = Nd4j.randn(DataType.DOUBLE, 6, 4);
        dir.diviColumnVector(dir.norm2(1).reshape(6, 1));
        // squared distances 0.99·m: inside the margin
        INDArray f = labels.mmul(s).addi(dir.mul(Math.sqrt(0.99 * m)));
        assertEquals(0.0, loss.computeScore(labels, f, ID, null, true), 0.0);
        assertEquals(0.0, loss.computeGradient(labels, f, ID, null).amaxNumber().doubleValue(), 0.0);
        // squared distance 3·m for the first example only: (3m − m)/4 summed, /B averaged
        f.getRow(0).assign(s.getRow(0).add(dir.getRow(0).mul(Math.sqrt(3 * m))));
        assertEquals(2 * m / 4, loss.computeScore(labels, f, ID, null, false), 1e-12);
        assertEquals(2 * m / 4 / 6, loss.computeScore(labels, f, ID, null, true), 1e-12);
    }

    @Test
    void matchesTheFormulaOnRandomData() {
        Nd4j.getRandom().setSeed(11);
        INDArray s = LossChecks.rows(SimplexCentres.centred(3, 5, 2.0));
        NirvanaHingeLoss loss = new NirvanaHingeLoss(s, 4.0);
        int[] y = {0, 2, 1, 1, 0, 2, 2};
        INDArray labels = DoublePrecision.oneHot(3, y);
        // squared distances alternate 2 and 8 around the margin 4, in random directions
        INDArray dir = Nd4j.randn(DataType.DOUBLE, 7, 5);
        dir.diviColumnVector(dir.norm2(1).reshape(7, 1));
        INDArray f = labels.mmul(s);
        for (int i = 0; i < 7; i++) {
            f.getRow(i).addi(dir.getRow(i).mul(Math.sqrt(i % 2 == 0 ? 2.0 : 8.0)));
        }
        double sum = 0;
        int active = 0;
        for (int i = 0; i < 7; i++) {
            double d2 = 0;
            for (int j = 0; j < 5; j++) {
                double d = f.getDouble(i, j) - s.getDouble(y[i], j);
                d2 += d * d;
            }
            sum += Math.max(0, d2 - 4.0);
            active += d2 > 4.0 ? 1 : 0;
        }
        assertTrue(active > 0 && active < 7, "want both sides of the hinge, active = " + active);
        assertEquals(sum / (4.0 * 7), loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertTrue(LossChecks.centralDifference(loss, labels, f, null) < 1e-6);
    }

    @Test
    void gradientCheckThroughANetwork() {
        NirvanaHingeLoss loss = new NirvanaHingeLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 1.0)));
        LossChecks.gradientCheck(loss, 1, new int[] {0, 1, 2, 2}, Activation.IDENTITY);
    }

    @Test
    void jsonRoundTripKeepsTheMargin() {
        NirvanaHingeLoss loss = new NirvanaHingeLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 1.0)), 0.37);
        LossChecks.jsonRoundTrip(loss, DoublePrecision.oneHot(3, 1, 2), Nd4j.randn(DataType.DOUBLE, 2, 4));
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(
                LossChecks.conf(loss, 3, Activation.IDENTITY).toJson());
        NirvanaHingeLoss restored = (NirvanaHingeLoss) ((LossLayer) back.getConf(1).getLayer()).getLossFn();
        assertEquals(0.37, restored.margin(), 0.0);
    }
}
