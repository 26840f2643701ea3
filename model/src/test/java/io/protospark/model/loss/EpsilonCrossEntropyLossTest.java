package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpsilonCrossEntropyLossTest extends LossFixture {
    private static final ActivationSoftmax SOFTMAX = new ActivationSoftmax();

    /** −Σ_k y_k log(softmax(z)_k + ε) per row, by hand. */
    private static double byHand(INDArray labels, INDArray z, double eps) {
        double total = 0;
        for (int i = 0; i < z.rows(); i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < z.columns(); k++) {
                max = Math.max(max, z.getDouble(i, k));
            }
            double sum = 0;
            for (int k = 0; k < z.columns(); k++) {
                sum += Math.exp(z.getDouble(i, k) - max);
            }
            for (int k = 0; k < z.columns(); k++) {
                double p = Math.exp(z.getDouble(i, k) - max) / sum;
                total -= labels.getDouble(i, k) * Math.log(p + eps);
            }
        }
        return total;
    }

    private static INDArray smoothed(int classes, int[] y, double smoothing) {
        return DoublePrecision.oneHot(classes, y).muli(1 - smoothing).addi(smoothing / classes);
    }

    @Test
    void scoreIsTheSeedsFlooredCrossEntropyAndItsGradientMatchesCentralDifferences() {
        Nd4j.getRandom().setSeed(3);
        int[] y = {0, 4, 2, 2, 1};
        INDArray labels = smoothed(6, y, 0.01);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 5, 6).muli(4);
        EpsilonCrossEntropyLoss loss = new EpsilonCrossEntropyLoss(1e-4);
        assertEquals(byHand(labels, z, 1e-4) / 5, loss.computeScore(labels, z, SOFTMAX, null, true), 1e-12);
        assertEquals(byHand(labels, z, 1e-4), loss.computeScore(labels, z, SOFTMAX, null, false), 1e-11);

        double worst = LossChecks.centralDifference(loss, SOFTMAX, labels, z, null);
        assertTrue(worst < 1e-7, "largest deviation from central differences " + worst);
    }

    @Test
    void withoutTheFloorItIsDl4jsCrossEntropy() {
        Nd4j.getRandom().setSeed(4);
        INDArray labels = DoublePrecision.oneHot(5, new int[]{1, 3, 0, 4});
        INDArray z = Nd4j.randn(DataType.DOUBLE, 4, 5);
        EpsilonCrossEntropyLoss loss = new EpsilonCrossEntropyLoss(0);
        LossMCXENT ce = new LossMCXENT();
        assertEquals(ce.computeScore(labels, z, SOFTMAX, null, true), loss.computeScore(labels, z, SOFTMAX, null, true),
                1e-12);
        INDArray diff = ce.computeGradient(labels, z, SOFTMAX, null).sub(loss.computeGradient(labels, z, SOFTMAX, null));
        assertEquals(0.0, diff.amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void theFloorBoundsTheLossAndSilencesASaturatedExample() {
        // logits 200 apart: p of the true class underflows to 0. DL4J's cross-entropy clips p at 1e-10 (score 23.03)
        // but keeps its full-size gradient p - y; the floor gives -log(1e-4) and a gradient of about p_true / eps
        INDArray labels = DoublePrecision.oneHot(3, new int[]{0});
        INDArray z = Nd4j.createFromArray(new double[][]{{0, 200, 0}});
        EpsilonCrossEntropyLoss loss = new EpsilonCrossEntropyLoss(1e-4);
        assertEquals(-Math.log(1e-4), loss.computeScore(labels, z, SOFTMAX, null, true), 1e-9);
        assertTrue(loss.computeGradient(labels, z, SOFTMAX, null).amaxNumber().doubleValue() < 1e-40);
        LossMCXENT ce = new LossMCXENT();
        assertEquals(-Math.log(1e-10), ce.computeScore(labels, z, SOFTMAX, null, true), 1e-9);
        assertEquals(1.0, ce.computeGradient(labels, z, SOFTMAX, null).amaxNumber().doubleValue(), 1e-9);
    }

    @Test
    void survivesTheJsonTheWorkersReceive() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new OutputLayer.Builder(new EpsilonCrossEntropyLoss(1e-4)).nIn(3).nOut(4)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        OutputLayer layer = (OutputLayer) back.getConf(0).getLayer();
        assertEquals(new EpsilonCrossEntropyLoss(1e-4), layer.getLossFn());
    }

    @Test
    void refusesAFloorOutsideZeroToOne() {
        assertThrows(IllegalArgumentException.class, () -> new EpsilonCrossEntropyLoss(-1e-4));
        assertThrows(IllegalArgumentException.class, () -> new EpsilonCrossEntropyLoss(1.0));
    }
}
