package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.SimplexCentres;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

class NirvanaMseLossTest extends LossFixture {
    private static INDArray centres() {
        return LossChecks.rows(SimplexCentres.findCenters(4, 5.0)); // 5×4, radius 5
    }

    @Test
    void zeroExactlyWhenEveryFeatureIsOnItsCentre() {
        INDArray s = centres();
        int[] y = {0, 3, 3, 1, 4};
        INDArray labels = DoublePrecision.oneHot(5, y);
        NirvanaMseLoss loss = new NirvanaMseLoss(s);
        INDArray f = labels.mmul(s);
        assertEquals(0.0, loss.computeScore(labels, f, ID, null, true), 0.0);
        assertEquals(0.0, loss.computeGradient(labels, f, ID, null).amaxNumber().doubleValue(), 0.0);
        f.putScalar(2, 1, f.getDouble(2, 1) + 1e-3);
        assertTrue(loss.computeScore(labels, f, ID, null, true) > 0);
    }

    @Test
    void equalsMeanOverBatchAndDimensionOnRandomData() {
        Nd4j.getRandom().setSeed(7);
        INDArray s = centres();
        int[] y = {2, 0, 4, 1, 1, 3};
        INDArray labels = DoublePrecision.oneHot(5, y);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 6, 4).muli(3.0);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 4; j++) {
                double d = f.getDouble(i, j) - s.getDouble(y[i], j);
                sum += d * d;
            }
        }
        NirvanaMseLoss loss = new NirvanaMseLoss(s);
        assertEquals(sum / (6 * 4), loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertEquals(sum / 4, loss.computeScore(labels, f, ID, null, false), 1e-12);
        // PyTorch MSELoss (mean over B·D) = DL4J's LossMSE with the gathered centres as labels
        assertEquals(new LossMSE().computeScore(labels.mmul(s), f, ID, null, true),
                loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertEquals(6, loss.computeScoreArray(labels, f, ID, null).length());
    }

    @Test
    void perExampleMaskDropsExamples() {
        INDArray s = centres();
        INDArray labels = DoublePrecision.oneHot(5, 0, 1, 2);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 3, 4);
        NirvanaMseLoss loss = new NirvanaMseLoss(s);
        INDArray mask = Nd4j.createFromArray(1.0, 0.0, 1.0).reshape(3, 1);
        INDArray full = loss.computeScoreArray(labels, f, ID, null);
        INDArray masked = loss.computeScoreArray(labels, f, ID, mask);
        assertEquals(0.0, masked.getDouble(1), 0.0);
        assertEquals(full.getDouble(0), masked.getDouble(0), 0.0);
        assertEquals(0.0, loss.computeGradient(labels, f, ID, mask).getRow(1).amaxNumber().doubleValue(), 0.0);
        assertTrue(LossChecks.centralDifference(loss, labels, f, mask) < 1e-6);
    }

    @Test
    void gradientCheckThroughANetwork() {
        NirvanaMseLoss loss = new NirvanaMseLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 1.0)));
        LossChecks.gradientCheck(loss, 1, new int[] {0, 1, 2, 2}, Activation.IDENTITY);
        LossChecks.gradientCheck(loss, 2, new int[] {1, 0, 2}, Activation.TANH);
    }

    @Test
    void jsonRoundTrip() {
        NirvanaMseLoss loss = new NirvanaMseLoss(centres());
        LossChecks.jsonRoundTrip(loss, DoublePrecision.oneHot(5, 1, 4), Nd4j.randn(DataType.DOUBLE, 2, 4));
    }

    @Test
    void targetsAreReplaceableInsideTheNetwork() {
        INDArray s = centres();
        NirvanaMseLoss loss = new NirvanaMseLoss(s);
        MultiLayerNetwork net = LossChecks.net(loss, 3, Activation.IDENTITY);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 3);
        INDArray labels = DoublePrecision.oneHot(5, 0, 1, 2, 3);
        double before = net.score(new org.nd4j.linalg.dataset.DataSet(x, labels));
        TargetLoss inNet = TargetLosses.find(net).get(0);
        int[] sigma = {4, 3, 2, 1, 0};
        inNet.assign(s, sigma);
        INDArray t = inNet.getTargets();
        for (int c = 0; c < 5; c++) {
            assertArrayEquals(s.getRow(sigma[c]).toDoubleVector(), t.getRow(c).toDoubleVector(), 0.0);
        }
        double after = net.score(new org.nd4j.linalg.dataset.DataSet(x, labels));
        assertTrue(Math.abs(after - before) > 1e-6, before + " vs " + after);
        assertThrows(IllegalArgumentException.class, () -> inNet.assign(s, new int[] {0, 0, 1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> inNet.setTargets(Nd4j.zeros(DataType.DOUBLE, 4, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> inNet.computeScore(DoublePrecision.oneHot(4, 0), Nd4j.zeros(DataType.DOUBLE, 1, 4), ID, null, true));
    }

    @Test
    void floatNetworksGetFloatGradients() {
        NirvanaMseLoss loss = new NirvanaMseLoss(centres());
        INDArray f = Nd4j.randn(DataType.FLOAT, 2, 4);
        INDArray labels = DoublePrecision.oneHot(5, 0, 2).castTo(DataType.FLOAT);
        assertEquals(DataType.FLOAT, loss.computeGradient(labels, f, ID, null).dataType());
        assertEquals(loss.computeScore(labels.castTo(DataType.DOUBLE), f.castTo(DataType.DOUBLE), ID, null, true),
                loss.computeScore(labels, f, ID, null, true), 1e-4);
    }
}
