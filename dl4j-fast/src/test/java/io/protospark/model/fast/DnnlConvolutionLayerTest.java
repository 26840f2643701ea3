package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oneDNN convolution layer against DL4J's stock layer (its Java im2col path, which the double-precision gradient
 * checks of {@link FastLayersGradientCheckTest} validate): same outputs, input gradients and parameter gradients in
 * float, over both map layouts, with and without bias, the padding modes (including "same" with uneven padding),
 * strides, a rectangular kernel and an activation inside the layer.
 */
class DnnlConvolutionLayerTest {

    private static MultiLayerConfiguration net(CNN2DFormat format, ConvolutionMode mode, int kH, int kW, int stride,
                                               int pad, boolean bias, Activation activation, int h, int w) {
        return new NeuralNetConfiguration.Builder()
                .seed(11)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(kH, kW)
                        .stride(stride, stride)
                        .padding(pad, pad)
                        .convolutionMode(mode)
                        .nIn(3).nOut(5)
                        .hasBias(bias)
                        .biasInit(0.3)
                        .activation(activation)
                        .dataFormat(format)
                        .build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .format(format)
                        .build())
                .setInputType(InputType.convolutional(h, w, 3, format))
                .build();
    }

    @ParameterizedTest(name = "{0} {1} k{2}x{3} s{4} p{5} bias={6} {7} {8}x{9}")
    @CsvSource({
            "NCHW, Truncate, 3, 3, 1, 1, true, IDENTITY, 9, 9",
            "NHWC, Truncate, 3, 3, 1, 1, false, IDENTITY, 9, 9",
            "NHWC, Truncate, 3, 3, 2, 1, true, IDENTITY, 10, 10",
            "NCHW, Truncate, 1, 1, 2, 0, false, IDENTITY, 8, 8",
            "NHWC, Same, 3, 3, 2, 0, true, IDENTITY, 8, 7",
            "NCHW, Same, 5, 3, 1, 0, true, RELU, 7, 9",
            "NHWC, Same, 3, 3, 1, 0, false, TANH, 6, 6",
            "NCHW, Truncate, 3, 2, 2, 0, true, RELU, 11, 9",
    })
    void matchesTheStockLayer(CNN2DFormat format, ConvolutionMode mode, int kH, int kW, int stride, int pad,
                              boolean bias, Activation activation, int h, int w) {
        Assumptions.assumeTrue(Dnnl.engine() != null, "oneDNN runs on the CPU backend only");
        MultiLayerConfiguration conf = net(format, mode, kH, kW, stride, pad, bias, activation, h, w);
        MultiLayerNetwork stock = new MultiLayerNetwork(conf);
        stock.init();
        MultiLayerNetwork fast = new MultiLayerNetwork(FastLayers.convert(conf));
        fast.init();
        fast.setParams(stock.params().dup());
        assertInstanceOf(DnnlConvolutionLayer.class, fast.getLayer(0));

        Nd4j.getRandom().setSeed(7);
        long[] inShape = format == CNN2DFormat.NHWC ? new long[] {4, h, w, 3} : new long[] {4, 3, h, w};
        INDArray x = Nd4j.randn(DataType.FLOAT, inShape);
        INDArray yStock = stock.output(x, false);
        INDArray yFast = fast.output(x, false);
        assertClose(yStock, yFast, 1e-5, "output");
        assertClose(stock.output(x, true), fast.output(x, true), 1e-5, "training-mode output");

        INDArray labels = Nd4j.randn(DataType.FLOAT, yStock.shape());
        Pair<Gradient, INDArray> gs = stock.calculateGradients(x, labels, null, null);
        Pair<Gradient, INDArray> gf = fast.calculateGradients(x, labels, null, null);
        assertClose(gs.getSecond(), gf.getSecond(), 1e-5, "input gradient");
        assertEquals(gs.getFirst().gradientForVariable().keySet(), gf.getFirst().gradientForVariable().keySet());
        for (String k : gs.getFirst().gradientForVariable().keySet()) {
            assertClose(gs.getFirst().getGradientFor(k), gf.getFirst().getGradientFor(k), 1e-5, "gradient " + k);
        }

        // and training: one SGD step moves both to the same parameters
        stock.fit(x, labels);
        fast.fit(x, labels);
        assertClose(stock.params(), fast.params(), 1e-5, "parameters after one step");
        DnnlConvolutionLayer layer = (DnnlConvolutionLayer) fast.getLayer(0);
        if (activation == Activation.RELU) {
            assertEquals(4, layer.oneDnnForwardPasses(), "one forward convolution per pass: a ReLU's backward pass "
                    + "reads the saved output instead of convolving again");
        } else {
            assertTrue(layer.oneDnnForwardPasses() >= 4, "forward passes on oneDNN: " + layer.oneDnnForwardPasses());
        }
        assertEquals(2, layer.oneDnnBackwardPasses(), "backward passes on oneDNN (not the stock fallback)");
    }

    @Test
    void picksOneDnnsJitKernelsForChannelsLastMaps() {
        Assumptions.assumeTrue(Dnnl.engine() != null, "oneDNN runs on the CPU backend only");
        for (boolean staged : new boolean[] {false, true}) {
            DnnlConvolution.Geometry g = new DnnlConvolution.Geometry(8, 16, 16, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1,
                    1, 1, 1, true, false, staged);
            String[] impls = DnnlConvolution.implementations(g);
            for (String impl : impls) {
                assertFalse(impl.contains("ref"), "a reference (unoptimised) oneDNN kernel was chosen: " + impl);
                assertTrue(impl.contains("jit") || impl.contains("brg") || impl.contains("gemm"), impl);
            }
        }
    }

    /**
     * Maps staged in oneDNN's own layout (channel-blocked where the kernels prefer it) give what the kernels on the
     * layer's layout give: forward, input gradient, weight and bias gradients, for both layouts, 24 channels (not a
     * multiple of the 8- or 16-channel blocks, so the blocked buffers carry padding) and a strided convolution.
     */
    @ParameterizedTest(name = "channelsLast={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void stagedMapsGiveTheSameResults(boolean channelsLast) {
        Assumptions.assumeTrue(Dnnl.engine() != null, "oneDNN runs on the CPU backend only");
        Nd4j.getRandom().setSeed(3);
        long n = 4;
        long c = 24;
        long o = 40;
        long[] xShape = channelsLast ? new long[] {n, 13, 11, c} : new long[] {n, c, 13, 11};
        long[] yShape = channelsLast ? new long[] {n, 7, 6, o} : new long[] {n, o, 7, 6};
        INDArray x = Nd4j.randn(DataType.FLOAT, xShape);
        INDArray w = Nd4j.randn(DataType.FLOAT, o, c, 3, 3);
        INDArray b = Nd4j.randn(DataType.FLOAT, 1, o);
        INDArray dy = Nd4j.randn(DataType.FLOAT, yShape);
        INDArray[][] results = new INDArray[2][];
        for (int staged = 0; staged < 2; staged++) {
            DnnlConvolution.Geometry g = new DnnlConvolution.Geometry(n, c, 13, 11, o, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1,
                    1, 1, channelsLast, true, staged == 1);
            INDArray y = Nd4j.create(DataType.FLOAT, yShape);
            INDArray dx = Nd4j.create(DataType.FLOAT, xShape);
            INDArray dw = Nd4j.create(DataType.FLOAT, o, c, 3, 3);
            INDArray db = Nd4j.create(DataType.FLOAT, 1, o);
            if (staged == 0) {
                assertEquals(0, DnnlConvolution.stagedMaps(g));
            } else if (!channelsLast) {
                assertEquals(6, DnnlConvolution.stagedMaps(g), "NCHW maps are staged in a channel-blocked layout");
            }
            DnnlConvolution.forward(g, x, w, b, y);
            DnnlConvolution.backwardData(g, dy, w, dx);
            DnnlConvolution.backwardWeights(g, x, dy, dw, db);
            results[staged] = new INDArray[] {y, dx, dw, db};
        }
        String[] names = {"y", "dx", "dW", "db"};
        for (int i = 0; i < names.length; i++) {
            assertTrue(results[0][i].amaxNumber().doubleValue() > 0, names[i] + " was written");
            assertClose(results[0][i], results[1][i], 1e-4, "staged " + names[i]);
        }
    }

    @Test
    void doublePrecisionRunsTheStockPath() {
        MultiLayerConfiguration conf = net(CNN2DFormat.NCHW, ConvolutionMode.Truncate, 3, 3, 1, 1, true,
                Activation.IDENTITY, 6, 6);
        MultiLayerConfiguration doubles = FastLayers.convert(conf);
        doubles.setDataType(DataType.DOUBLE);
        MultiLayerNetwork net = new MultiLayerNetwork(doubles);
        net.init();
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 6, 6);
        INDArray y = net.output(x, false);
        assertEquals(DataType.DOUBLE, y.dataType());
        assertTrue(y.sumNumber().doubleValue() != 0.0);
    }

    /** Max |a − b| ≤ tol · max |a|: relative to the largest expected value, however small the values are. */
    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()), what + ": shapes differ");
        double scale = expected.amaxNumber().doubleValue();
        assertTrue(scale > 0, what + ": all zero, nothing compared");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol * scale, what + ": max difference " + diff + " exceeds " + tol * scale);
    }
}
