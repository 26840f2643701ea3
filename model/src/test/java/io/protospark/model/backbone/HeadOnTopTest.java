package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A head added on {@code embedding} through {@link Backbones#graph}, trained for one step at batch 2. */
class HeadOnTopTest {

    static void oneStep(String name, int h, int w, int c, int d) {
        int classes = 3;
        ComputationGraphConfiguration conf = Backbones.graph(name, h, w, c, d, new NeuralNetConfiguration.Builder()
                        .seed(3L).weightInit(WeightInit.RELU).dataType(DataType.FLOAT).updater(new Sgd(0.01)))
                .addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .hasBias(false).activation(Activation.SOFTMAX).build(), Backbones.EMBEDDING)
                .setOutputs("head")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, c, h, w);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 2, classes);
        y.putScalar(0, 0, 1.0);
        y.putScalar(1, 2, 1.0);
        INDArray before = net.params().dup();
        net.fit(new DataSet(x, y));
        assertTrue(Double.isFinite(net.score()), name + " score " + net.score());
        assertNotEquals(before, net.params(), name + ": one step changed nothing");
        INDArray emb = net.feedForward(x, false).get(Backbones.EMBEDDING);
        assertArrayEquals(new long[]{2, d}, emb.shape(), name);
        assertFalse(net.outputSingle(x).isNaN().any(), name);
    }

    @Test
    void resnet20() {
        oneStep("resnet20", 32, 32, 3, 10);
    }

    @Test
    void resnet32OptionA() {
        oneStep("resnet32-a", 32, 32, 3, 64);
    }

    @Test
    void lenetPlusPlus() {
        oneStep("lenet-pp", 28, 28, 1, 2);
    }

    @Test
    void densePreluIsAPrelu() {
        // The fc PReLU of LeNet++ at its initial slope 0.25, at batch size 1 (a 1x1 map of one example).
        ComputationGraph net = new ComputationGraph(Backbones.build("lenet-pp", 28, 28, 1, 8, 5L));
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28);
        java.util.Map<String, INDArray> acts = net.feedForward(x, false);
        INDArray fc = acts.get("fc1");
        INDArray expected = Transforms.relu(fc, true).add(Transforms.min(fc, 0.0, true).mul(0.25));
        assertTrue(fc.minNumber().doubleValue() < 0 && fc.maxNumber().doubleValue() > 0, "want both signs: " + fc);
        INDArray embedding = acts.get(Backbones.EMBEDDING);
        assertTrue(expected.equalsWithEps(embedding, 1e-6), embedding + " vs " + expected);
    }

    @Test
    void iresnet50() {
        // The channel PReLUs and the dense BatchNorm of the IResNet output in training mode; 32×32 input
        // (a 2×2 final map) keeps the step light.
        oneStep("iresnet50", 32, 32, 3, 64);
    }
}
