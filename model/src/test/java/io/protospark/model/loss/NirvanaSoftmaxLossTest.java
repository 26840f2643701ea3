package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.SimplexCentres;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

class NirvanaSoftmaxLossTest extends LossFixture {
    @Test
    void equalsStandardCrossEntropyOverCentreLogitsDividedByC() {
        Nd4j.getRandom().setSeed(5);
        INDArray s = LossChecks.rows(SimplexCentres.findCenters(5, 3.0)); // C = 6 centres, radius 3
        int[] y = {0, 5, 3, 3, 1, 2, 4};
        INDArray labels = DoublePrecision.oneHot(6, y);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 7, 5);
        NirvanaSoftmaxLoss loss = new NirvanaSoftmaxLoss(s);
        INDArray z = f.mmul(s.transpose());
        double ce = new LossMCXENT().computeScore(labels, z, new ActivationSoftmax(), null, true);
        assertEquals(ce / 6, loss.computeScore(labels, f, ID, null, true), 1e-12);
        // by hand: −(1/(B·C)) Σ log p_{i,y_i}
        double sum = 0;
        for (int i = 0; i < 7; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 6; k++) {
                max = Math.max(max, z.getDouble(i, k));
            }
            double lse = 0;
            for (int k = 0; k < 6; k++) {
                lse += Math.exp(z.getDouble(i, k) - max);
            }
            sum -= z.getDouble(i, y[i]) - max - Math.log(lse);
        }
        assertEquals(sum / (7 * 6), loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertTrue(LossChecks.centralDifference(loss, labels, f, null) < 1e-6);
    }

    @Test
    void stableForLargeLogits() {
        INDArray s = LossChecks.rows(SimplexCentres.findCenters(3, 200.0)); // seed's Expand = 200
        INDArray labels = DoublePrecision.oneHot(4, 0, 1);
        INDArray f = LossChecks.rows(SimplexCentres.findCenters(3, 200.0)).get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2), org.nd4j.linalg.indexing.NDArrayIndex.all());
        double score = new NirvanaSoftmaxLoss(s).computeScore(labels, f, ID, null, true);
        assertTrue(Double.isFinite(score) && score >= 0 && score < 1e-6, "score " + score);
        INDArray wrong = DoublePrecision.oneHot(4, 1, 0);
        double bad = new NirvanaSoftmaxLoss(s).computeScore(wrong, f, ID, null, true);
        assertTrue(Double.isFinite(bad) && bad > 1000, "score " + bad);
    }

    @Test
    void gradientCheckThroughANetwork() {
        NirvanaSoftmaxLoss loss = new NirvanaSoftmaxLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 2.0)));
        LossChecks.gradientCheck(loss, 1, new int[] {0, 1, 2, 2}, Activation.IDENTITY);
    }

    @Test
    void jsonRoundTrip() {
        NirvanaSoftmaxLoss loss = new NirvanaSoftmaxLoss(LossChecks.rows(SimplexCentres.centred(3, 4, 2.0)));
        LossChecks.jsonRoundTrip(loss, DoublePrecision.oneHot(3, 1, 2), Nd4j.randn(DataType.DOUBLE, 2, 4));
    }
}
