package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.model.prototype.Prototypes;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The output layer's loss from the activations of one pass is DL4J's {@code score(ds, false)} and
 * {@code scoreExamples(ds, false)} of the same minibatch, for the heads of {@link Networks} with weight decay and for
 * an output layer behind a pre-processor.
 */
class OutputLossTest {
    private static ComputationGraph net(String... overrides) {
        ModelSettings s = ModelSettings.from(Configs.load(null, "test", List.of(overrides)));
        return Networks.build(s, Prototypes.build(s));
    }

    private static DataSet batch(ComputationGraph net, long seed, int n, int classes, long... image) {
        Nd4j.getRandom().setSeed(seed);
        DataType type = net.params().dataType();
        long[] shape = new long[image.length + 1];
        shape[0] = n;
        System.arraycopy(image, 0, shape, 1, image.length);
        INDArray y = Nd4j.zeros(type, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7) % classes, 1.0);
        }
        return new DataSet(Nd4j.rand(type, shape), y);
    }

    /** One pass and the output layer against {@code score} and {@code scoreExamples}. */
    private static void sameAsScore(ComputationGraph net, DataSet ds) {
        OutputLoss loss = OutputLoss.of(net);
        double regularization = loss.regularization();
        assertTrue(regularization > 0, "the network is regularised");
        Map<String, INDArray> acts = net.feedForward(ds.getFeatures(), false);
        double expected = net.score(ds, false);
        assertEquals(expected, loss.score(acts, ds.getLabels(), regularization), 1e-12 * Math.abs(expected));
        INDArray examples = net.scoreExamples(ds, false);
        INDArray fromPass = loss.scoreExamples(acts, ds.getLabels());
        assertEquals(examples.length(), fromPass.length());
        for (int i = 0; i < examples.length(); i++) {
            assertEquals(examples.getDouble(i), fromPass.getDouble(i), 1e-12 * Math.abs(examples.getDouble(i)));
        }
        // the regularisation is what score adds to the mean loss, not part of each example's loss
        assertEquals(expected - regularization, examples.sumNumber().doubleValue() / ds.numExamples(),
                1e-6 * Math.abs(expected));
    }

    @Test
    void theHeadsOfNetworksInFloatAndDouble() {
        String[][] heads = {
            {"model.head.kind=learned", "model.optimizer.weight-decay=1e-3"},
            {"model.head.kind=learned", "model.head.log-epsilon=1e-4", "model.optimizer.name=sgd",
                "model.optimizer.weight-decay=1e-3"},
            {"model.optimizer.name=adamw", "model.optimizer.weight-decay=1e-2"},
            {"model.head.kind=normalized", "model.optimizer.weight-decay=1e-3"},
            {"model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres", "model.optimizer.weight-decay=1e-3"},
            {"model.head.loss=long-tail-dot-regression", "model.head.prototypes=simplex",
                "model.optimizer.weight-decay=1e-3"},
        };
        for (String[] head : heads) {
            ComputationGraph net = net(head);
            sameAsScore(net, batch(net, 3, 13, 10, 1, 28, 28));
            ComputationGraph twin = net.convertDataType(DataType.DOUBLE);
            sameAsScore(twin, batch(twin, 4, 13, 10, 1, 28, 28));
        }
    }

    @Test
    void aResidualBackboneOnFastLayers() {
        // element-wise vertices and oneDNN's layers in channels-last order, batch norm with weight decay
        for (String fast : new String[]{"false", "true"}) {
            ComputationGraph net = net("model.backbone=resnet20", "model.input.height=16", "model.input.width=16",
                    "model.input.channels=3", "model.fast-layers=" + fast, "model.optimizer.weight-decay=1e-3");
            sameAsScore(net, batch(net, 8, 6, 10, 3, 16, 16));
            sameAsScore(net, batch(net, 9, 3, 10, 3, 16, 16));
        }
    }

    @Test
    void anOutputLayerBehindAPreProcessor() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.FLOAT).l2(1e-2).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "conv")
                .setOutputs("out").build());
        net.init();
        assertNotNull(((LayerVertex) net.getVertex("out")).getLayerPreProcessor(), "conv maps are flattened");
        sameAsScore(net, batch(net, 5, 9, 4, 2, 6, 6));
    }

    @Test
    void aGraphWithoutALossAtItsOutputIsRefused() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .setInputTypes(InputType.feedForward(3))
                .addLayer("dense", new DenseLayer.Builder().nOut(2).build(), "in")
                .setOutputs("dense").build());
        net.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputLoss.of(net));
        assertTrue(e.getMessage().contains("'dense' is no output layer"), e.getMessage());
    }
}
