package io.protospark.model.fast;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference gradient checks (double precision, small shapes) of every fast layer, each inside a small network
 * whose other layers are stock: the analytic gradients the native ops return must match the numerical ones.
 */
class FastLayersGradientCheckTest {
    private static final double EPS = 1e-6;
    private static final double MAX_REL_ERROR = 1e-3;
    private static final double MIN_ABS_ERROR = 1e-8;


    private static DataType savedData;
    private static DataType savedFloat;

    @BeforeAll
    static void doublePrecision() {
        savedData = Nd4j.dataType();
        savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(savedData, savedFloat);
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(12345).dataType(DataType.DOUBLE).updater(new NoOp())
                .weightInit(new NormalDistribution(0, 1));
    }

    /** One fast layer between a stock tanh conv and a softmax head; the fast layer's input needs gradients too. */
    private static MultiLayerNetwork around(Layer fastCandidate, int h, int w) {
        MultiLayerConfiguration conf = base().list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH).build())
                .layer(fastCandidate)
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(h, w, 2))
                .build();
        MultiLayerConfiguration fast = FastLayers.convert(conf);
        assertTrue(FastLayers.isFast(fast.getConf(1).getLayer()), "layer 1 was converted: " + fast.getConf(1));
        MultiLayerNetwork net = new MultiLayerNetwork(fast);
        net.init();
        return net;
    }

    private static void check(MultiLayerNetwork net, int h, int w) {
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, h, w).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        for (int i = 0; i < 3; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        Set<String> exclude = new HashSet<>();
        for (String p : net.paramTable().keySet()) {
            // running statistics are updated by the layer, not by gradient descent
            if (p.endsWith("_mean") || p.endsWith("_var") || p.endsWith("_log10stdev")) {
                exclude.add(p);
            }
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR).excludeParams(exclude));
        assertTrue(ok, "gradient check failed for " + net.getLayerWiseConfigurations().getConf(1).getLayer());
    }

    /** A gradient check of {@code net} on 4 random images of 2×h×w (seed {@code seed}) with 3 one-hot classes. */
    private static boolean checkGraph(ComputationGraph net, int h, int w, long seed, Set<String> exclude) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, h, w).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{y}).excludeParams(exclude)
                .epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR));
    }

    @Test
    void convolutionTruncateStrideAndBias() {
        MultiLayerNetwork net = around(new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 1).padding(1, 0)
                .convolutionMode(ConvolutionMode.Truncate).activation(Activation.TANH).build(), 7, 6);
        check(net, 7, 6);
    }

    @Test
    void convolutionSameModeAsymmetricPaddingNoBias() {
        MultiLayerNetwork net = around(new ConvolutionLayer.Builder(3, 3).nOut(4).stride(2, 2).hasBias(false)
                .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), 6, 6);
        check(net, 6, 6);
    }

    @Test
    void convolutionOneByOne() {
        MultiLayerNetwork net = around(new ConvolutionLayer.Builder(1, 1).nOut(5).stride(2, 2)
                .convolutionMode(ConvolutionMode.Truncate).activation(Activation.SIGMOID).build(), 6, 5);
        check(net, 6, 5);
    }

    @Test
    void batchNormalizationOnConvolutionMaps() {
        MultiLayerNetwork net = around(new BatchNormalization.Builder().eps(1e-5).build(), 5, 5);
        check(net, 5, 5);
    }

    @Test
    void relu() {
        MultiLayerNetwork net = around(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                .activation(Activation.RELU).build(), 5, 4);
        check(net, 5, 4);
    }

    @Test
    void maxPooling() {
        MultiLayerNetwork net = around(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .build(), 6, 6);
        check(net, 6, 6);
    }

    @Test
    void maxPoolingOverlappingPadded() {
        MultiLayerNetwork net = around(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
                .padding(1, 1).convolutionMode(ConvolutionMode.Truncate).build(), 7, 7);
        check(net, 7, 7);
    }

    @Test
    void averagePoolingSameMode() {
        MultiLayerNetwork net = around(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2)
                .convolutionMode(ConvolutionMode.Same).build(), 5, 5);
        check(net, 5, 5);
    }

    /**
     * A residual block of fast layers in a graph: conv(stride 2)-tanh-conv plus a 1×1 stride-2 shortcut conv, added,
     * then max-pooled. (Batch normalisation is checked in a layer list above.)
     */
    @Test
    void residualBlockGraph() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(3).stride(2, 2).padding(1, 1)
                        .convolutionMode(ConvolutionMode.Truncate).hasBias(false).activation(Activation.TANH)
                        .build(), "in")
                .addLayer("c2", new ConvolutionLayer.Builder(3, 3).nOut(3).padding(1, 1)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), "c1")
                .addLayer("sc", new ConvolutionLayer.Builder(1, 1).nOut(3).stride(2, 2).hasBias(false)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().eps(1e-5).build(), "c2")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn", "sc")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(1, 1)
                        .build(), "add")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out")
                .build();
        ComputationGraphConfiguration fast = FastLayers.convert(conf);
        assertTrue(FastLayers.isChannelsLast(fast), "the maps run channels-last: NHWC convolutions, pooling, batch "
                + "norm and the input permutation are all checked");
        ComputationGraph net = new ComputationGraph(fast);
        net.init();
        assertTrue(FastLayers.isFast(net.getLayer("c2").conf().getLayer()));
        boolean ok = checkGraph(net, 6, 6, 7, new HashSet<>(Set.of("bn_mean", "bn_var", "bn_log10stdev")));
        assertTrue(ok, "gradient check failed for the residual block of fast layers");
    }

    /**
     * A batch norm fused with the ReLU that reads it: in double the fallback computes the batch norm and the ReLU is
     * applied around it; the ReLU vertex is removed.
     */
    @Test
    void batchNormFusedWithRelu() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(5, 5, 2))
                .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().eps(1e-5).build(), "c")
                .addLayer("relu", new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                        .activation(Activation.RELU).build(), "bn")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out")
                .build();
        ComputationGraphConfiguration fast = FastLayers.convert(conf);
        assertTrue(((FastBatchNormalization) ((org.deeplearning4j.nn.conf.graph.LayerVertex) fast.getVertices()
                .get("bn")).getLayerConf().getLayer()).isFusedRelu(), "the pair was fused");
        ComputationGraph net = new ComputationGraph(fast);
        net.init();
        boolean ok = checkGraph(net, 5, 5, 8, new HashSet<>(Set.of("bn_mean", "bn_var", "bn_log10stdev")));
        assertTrue(ok, "gradient check failed for batch norm + ReLU");
    }

    /** A residual addition fused with the ReLU that reads it ({@link FastAdd}), in double: DL4J's addition + ReLU. */
    @Test
    void additionFusedWithRelu() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(5, 5, 2))
                .addLayer("c1", new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("c2", new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.IDENTITY).build(),
                        "in")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "c1", "c2")
                .addLayer("relu", new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                        .activation(Activation.RELU).build(), "add")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out")
                .build();
        ComputationGraphConfiguration fast = FastLayers.convert(conf);
        assertTrue(fast.getVertices().get("add") instanceof FastAdd, "the pair was fused");
        ComputationGraph net = new ComputationGraph(fast);
        net.init();
        boolean ok = checkGraph(net, 5, 5, 9, Set.of());
        assertTrue(ok, "gradient check failed for addition + ReLU");
    }
}
