package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** Shared fixtures: a tiny double-precision network, DL4J's gradient check and the JSON round trip. */
public final class LossChecks {
    private LossChecks() {
    }

    static INDArray rows(double[][] a) {
        return Nd4j.create(a).castTo(DataType.DOUBLE);
    }

    /** Dense d→d (tanh) then a LossLayer with the loss and the given activation; double precision, NoOp updater. */
    public static MultiLayerConfiguration conf(TargetLoss loss, int nIn, Activation lossActivation) {
        return new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(12345)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(loss.dimension()).activation(Activation.TANH).build())
                .layer(new LossLayer.Builder(loss).activation(lossActivation).build())
                .build();
    }

    static MultiLayerNetwork net(TargetLoss loss, int nIn, Activation lossActivation) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(loss, nIn, lossActivation));
        net.init();
        return net;
    }

    /** DL4J's gradient check of the whole network (all parameters) with the loss on top. */
    static void gradientCheck(TargetLoss loss, int labelsSeed, int[] labels, Activation lossActivation) {
        int nIn = 5;
        MultiLayerNetwork net = net(loss, nIn, lossActivation);
        INDArray x = Nd4j.rand(DataType.DOUBLE, labels.length, nIn).subi(0.5).muli(4.0);
        Nd4j.getRandom().setSeed(labelsSeed);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                .net(net).input(x).labels(DoublePrecision.oneHot(loss.numClasses(), labels))
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
        assertTrue(ok, loss.name() + ": gradient check failed");
    }

    /**
     * Central differences of computeScore(average = false) against computeGradient, directly on preOutput.
     * Returns the largest absolute deviation.
     */
    static double centralDifference(TargetLoss loss, INDArray labels, INDArray pre, INDArray mask) {
        return centralDifference(loss, new ActivationIdentity(), labels, pre, mask);
    }

    /** {@link #centralDifference(TargetLoss, INDArray, INDArray, INDArray)} for any loss on any activation's input. */
    static double centralDifference(org.nd4j.linalg.lossfunctions.ILossFunction loss,
                                    org.nd4j.linalg.activations.IActivation activation, INDArray labels, INDArray pre,
                                    INDArray mask) {
        INDArray g = loss.computeGradient(labels, pre, activation, mask);
        double worst = 0;
        double h = 1e-6;
        for (int i = 0; i < pre.rows(); i++) {
            for (int j = 0; j < pre.columns(); j++) {
                INDArray p = pre.dup();
                p.putScalar(i, j, pre.getDouble(i, j) + h);
                double up = loss.computeScore(labels, p, activation, mask, false);
                p.putScalar(i, j, pre.getDouble(i, j) - h);
                double down = loss.computeScore(labels, p, activation, mask, false);
                worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g.getDouble(i, j)));
            }
        }
        return worst;
    }

    /**
     * toJson → fromJson of a configuration using the loss: the configurations are equal, the restored loss is of the
     * same class with the same targets and gives the same score.
     */
    static void jsonRoundTrip(TargetLoss loss, INDArray labels, INDArray pre) {
        MultiLayerConfiguration conf = conf(loss, 3, Activation.IDENTITY);
        String json = conf.toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
        MultiLayerNetwork net = new MultiLayerNetwork(back);
        net.init();
        List<TargetLoss> found = TargetLosses.find(net);
        assertEquals(1, found.size());
        TargetLoss restored = found.get(0);
        assertEquals(loss.getClass(), restored.getClass());
        assertEquals(loss, restored);
        assertEquals(0.0, loss.getTargets().sub(restored.getTargets()).amaxNumber().doubleValue(), 0.0);
        ActivationIdentity id = new ActivationIdentity();
        assertEquals(loss.computeScore(labels, pre, id, null, true),
                restored.computeScore(labels, pre, id, null, true), 1e-12);
    }
}
