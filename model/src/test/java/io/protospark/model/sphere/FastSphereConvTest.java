package io.protospark.model.sphere;

import io.protospark.model.fast.FastLayers;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FastSphereConv} (oneDNN convolutions + element-wise work) against the SameDiff {@link SphereConv}: forward
 * and gradients in float on random inputs for every operator and several geometries, the float fast gradients
 * against the SameDiff layer's double-precision gradients (which {@link SphereLayersTest} checks against finite
 * differences), and the conversion, JSON and parameter compatibility.
 */
class FastSphereConvTest {

    /** kernel, stride, padding, same padding, input size. */
    record Geo(int k, int s, int p, boolean same, int h, int w) {
    }

    static Stream<Arguments> cases() {
        List<Geo> geos = List.of(new Geo(3, 1, 1, false, 7, 6), new Geo(3, 2, 1, false, 7, 7),
                new Geo(3, 2, 0, true, 6, 5), new Geo(1, 1, 0, false, 4, 4), new Geo(5, 1, 0, false, 6, 8));
        List<Arguments> out = new ArrayList<>();
        for (SphereOperator op : SphereOperator.values()) {
            for (Geo g : geos) {
                out.add(Arguments.of(op, g, false));
                out.add(Arguments.of(op, g, true));
            }
        }
        return out.stream();
    }

    static INDArray toNhwc(INDArray nchw) {
        return nchw.permute(0, 2, 3, 1).dup('c');
    }

    static INDArray toNchw(INDArray nhwc) {
        return nhwc.permute(0, 3, 1, 2).dup('c');
    }

    /** The fast conversion of {@code conf}, its SphereConv "sc" set to channels-last when {@code nhwc}. */
    static ComputationGraphConfiguration fast(ComputationGraphConfiguration conf, boolean nhwc) {
        ComputationGraphConfiguration f = FastLayers.convert(conf);
        ((FastSphereConv) ((LayerVertex) f.getVertices().get("sc")).getLayerConf().getLayer()).setChannelsLast(nhwc);
        return f;
    }

    /** {@link #pass} on NCHW arrays, run on NHWC ones when {@code nhwc}; the results in NCHW. */
    static Pass pass(ComputationGraph net, INDArray x, INDArray eps, boolean nhwc) {
        if (!nhwc) {
            return pass(net, x, eps);
        }
        Pass p = pass(net, toNhwc(x), toNhwc(eps));
        return new Pass(toNchw(p.out()), toNchw(p.dx()), p.dW(), p.dk());
    }

    static ComputationGraphConfiguration oneLayer(SphereOperator op, Geo g, int nIn, int nOut, DataType type) {
        return new NeuralNetConfiguration.Builder()
                .dataType(type).seed(11).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(g.h(), g.w(), nIn))
                .addLayer("sc", new SphereConv.Builder(g.k(), g.k()).stride(g.s(), g.s()).padding(g.p(), g.p())
                        .samePadding(g.same()).nOut(nOut).operator(op).sigmoidK(0.3).learnableKInit(0.4)
                        .orthogonalityLambda(2e-4).build(), "in")
                .addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "sc")
                .setOutputs("loss")
                .build();
    }

    /** Output, input gradient and parameter gradients of layer "sc" for input x and output gradient eps. */
    record Pass(INDArray out, INDArray dx, INDArray dW, INDArray dk) {
    }

    static Pass pass(ComputationGraph net, INDArray x, INDArray eps) {
        net.initGradientsView();
        Layer l = net.getLayer("sc");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        l.setInput(x, mgr);
        INDArray out = l.activate(true, mgr).dup();
        Pair<Gradient, INDArray> p = l.backpropGradient(eps, mgr);
        INDArray dk = p.getFirst().gradientForVariable().get("k");
        return new Pass(out, p.getSecond().dup(), p.getFirst().gradientForVariable().get("W").dup(),
                dk == null ? null : dk.dup());
    }

    static ComputationGraph build(ComputationGraphConfiguration conf, INDArray params) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init(params == null ? null : params.dup(), true);
        return net;
    }

    static double maxRelDiff(INDArray expected, INDArray actual) {
        INDArray e = expected.castTo(DataType.DOUBLE);
        INDArray a = actual.castTo(DataType.DOUBLE);
        assertTrue(java.util.Arrays.equals(e.shape(), a.shape()),
                java.util.Arrays.toString(e.shape()) + " vs " + java.util.Arrays.toString(a.shape()));
        double scale = Math.max(e.amaxNumber().doubleValue(), 1e-12);
        return e.sub(a).amaxNumber().doubleValue() / scale;
    }

    static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        double d = maxRelDiff(expected, actual);
        assertTrue(d < tol, what + ": max |difference| / max |expected| = " + d + " >= " + tol);
    }

    @ParameterizedTest(name = "{0} {1} nhwc={2}")
    @MethodSource("cases")
    void floatForwardAndGradientsMatchTheSameDiffLayer(SphereOperator op, Geo g, boolean nhwc) {
        ComputationGraphConfiguration stockConf = oneLayer(op, g, 5, 6, DataType.FLOAT);
        ComputationGraphConfiguration fastConf = fast(stockConf, nhwc);
        org.deeplearning4j.nn.conf.layers.Layer fastLayerConf = ((LayerVertex) fastConf.getVertices().get("sc")).getLayerConf().getLayer();
        assertInstanceOf(FastSphereConv.class, fastLayerConf);
        ComputationGraph stock = build(stockConf, null);
        ComputationGraph fast = build(fastConf, stock.params());
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 5, g.h(), g.w());
        Pass a = pass(stock, x, eps(stock, x));
        Pass b = pass(fast, x, eps(stock, x), nhwc);
        FastSphereConvLayer fl = (FastSphereConvLayer) fast.getLayer("sc");
        assertEquals(1, fl.oneDnnForwardPasses(), "the fast layer ran its forward pass on oneDNN");
        assertEquals(1, fl.oneDnnBackwardPasses(), "the fast layer ran its backward pass on oneDNN");
        assertClose(a.out(), b.out(), 2e-5, op + " output");
        assertClose(a.dx(), b.dx(), 1e-4, op + " input gradient");
        assertClose(a.dW(), b.dW(), 1e-4, op + " weight gradient");
        if (op == SphereOperator.LEARNABLE_SIGMOID) {
            assertClose(a.dk(), b.dk(), 1e-4, op + " k gradient");
        }
    }

    /** A fixed output gradient of the layer's output shape. */
    private static INDArray eps(ComputationGraph net, INDArray x) {
        long[] shape = net.getLayer("sc").activate(x, false, LayerWorkspaceMgr.noWorkspaces()).shape();
        Nd4j.getRandom().setSeed(5);
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    @ParameterizedTest(name = "{0} {1} nhwc={2}")
    @MethodSource("cases")
    void floatGradientsMatchTheDoublePrecisionDefinition(SphereOperator op, Geo g, boolean nhwc) {
        // the SameDiff layer in double precision is the definition (gradient-checked in SphereLayersTest)
        ComputationGraphConfiguration fastConf = fast(oneLayer(op, g, 4, 5, DataType.FLOAT), nhwc);
        ComputationGraph fast = build(fastConf, null);
        ComputationGraph exact = build(oneLayer(op, g, 4, 5, DataType.DOUBLE), fast.params().castTo(DataType.DOUBLE));
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 4, g.h(), g.w());
        INDArray e = eps(exact, x);
        Pass d = pass(exact, x, e.castTo(DataType.DOUBLE));
        Pass f = pass(fast, x.castTo(DataType.FLOAT), e.castTo(DataType.FLOAT), nhwc);
        assertEquals(1, ((FastSphereConvLayer) fast.getLayer("sc")).oneDnnBackwardPasses());
        assertClose(d.out(), f.out(), 1e-5, op + " output");
        assertClose(d.dx(), f.dx(), 5e-5, op + " input gradient");
        assertClose(d.dW(), f.dW(), 5e-5, op + " weight gradient");
        if (op == SphereOperator.LEARNABLE_SIGMOID) {
            assertClose(d.dk(), f.dk(), 5e-5, op + " k gradient");
        }
    }

    @ParameterizedTest(name = "nhwc={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void doublePrecisionRunsTheSameDiffGraph(boolean nhwc) {
        Geo g = new Geo(3, 1, 1, false, 5, 5);
        ComputationGraph fast = build(fast(oneLayer(SphereOperator.COSINE, g, 2, 3, DataType.DOUBLE), nhwc), null);
        ComputationGraph stock = build(oneLayer(SphereOperator.COSINE, g, 2, 3, DataType.DOUBLE), fast.params());
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 2, 5, 5);
        Pass a = pass(stock, x, eps(stock, x));
        Pass b = pass(fast, x, eps(stock, x), nhwc);
        assertEquals(0, ((FastSphereConvLayer) fast.getLayer("sc")).oneDnnForwardPasses());
        assertEquals(a.out(), b.out());
        assertEquals(a.dW(), b.dW());
        assertEquals(a.dx(), b.dx());
    }

    @Test
    void sphereNet9GoesChannelsLastAndMatchesTheStockNetwork() {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(42)
                .weightInit(WeightInit.RELU).updater(new Sgd(0.01)).dataType(DataType.FLOAT);
        ComputationGraphConfiguration stockConf = io.protospark.model.backbone.Backbones.graph("spherenet9", 32, 32, 3,
                        16, base)
                .addLayer("head", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build(),
                        io.protospark.model.backbone.Backbones.EMBEDDING)
                .setOutputs("head").build();
        ComputationGraphConfiguration fastConf = FastLayers.convert(stockConf);
        assertTrue(FastLayers.isChannelsLast(fastConf), "the fast SphereNet-9 runs on channels-last maps");
        long sphereConvs = fastConf.getVertices().values().stream().filter(v -> v instanceof LayerVertex lv
                && lv.getLayerConf().getLayer() instanceof FastSphereConv f && f.isChannelsLast()).count();
        assertEquals(9, sphereConvs);
        ComputationGraph stock = build(stockConf, null);
        ComputationGraph fast = build(fastConf, stock.params());
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 32, 32);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 10);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i, 1.0);
        }
        assertClose(stock.outputSingle(x), fast.outputSingle(x), 1e-4, "SphereNet-9 output");
        stock.setInputs(x);
        stock.setLabels(y);
        stock.computeGradientAndScore();
        fast.setInputs(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        assertEquals(stock.score(), fast.score(), 1e-4 * Math.abs(stock.score()));
        // float rounding of two implementations compounded through 9 batch-normalised layers at batch 4 (each layer
        // alone agrees to 1e-4 above)
        assertClose(stock.gradient().gradient(), fast.gradient().gradient(), 1e-2, "SphereNet-9 gradient");
    }

    @Test
    void conversionKeepsSettingsJsonAndParameters() {
        Geo g = new Geo(3, 2, 1, false, 7, 7);
        ComputationGraphConfiguration stockConf = oneLayer(SphereOperator.LEARNABLE_SIGMOID, g, 3, 4, DataType.FLOAT);
        String stockJson = stockConf.toJson();
        ComputationGraphConfiguration fastConf = FastLayers.convert(stockConf);
        assertEquals(stockJson, stockConf.toJson(), "convert does not change its argument");
        SphereConv stockLayer = (SphereConv) ((LayerVertex) stockConf.getVertices().get("sc")).getLayerConf().getLayer();
        SphereConv fastLayer = (SphereConv) ((LayerVertex) fastConf.getVertices().get("sc")).getLayerConf().getLayer();
        assertSame(SphereConv.class, stockLayer.getClass());
        assertTrue(FastLayers.isFast(fastLayer));
        assertSame(fastLayer, fastLayer.fastVariant(), "a fast layer is its own fast variant");
        assertEquals(stockLayer.getRegularization(), fastLayer.getRegularization());
        List<Object> own = fastLayer.ownFields();
        assertEquals(stockLayer.ownFields(), own.subList(0, own.size() - 1));
        assertEquals(false, own.get(own.size() - 1), "channels-last only where the whole graph goes channels-last");
        // the JSON differs only in the class name and the channels-last flag, and round-trips to the fast class
        String fastJson = fastConf.toJson();
        assertTrue(fastJson.contains("\"channelsLast\" : false"), "the fast layer's one added field");
        String withoutAdded = fastJson.replaceAll(",\\s*\"channelsLast\" : false", "")
                .replaceAll("\"channelsLast\" : false,\\s*", "");
        assertEquals(stockJson.replace("\"io.protospark.model.sphere.SphereConv\"",
                "\"io.protospark.model.sphere.FastSphereConv\""), withoutAdded);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(fastConf.toJson());
        assertInstanceOf(FastSphereConv.class, ((LayerVertex) back.getVertices().get("sc")).getLayerConf().getLayer());
        // the same parameters in the same order; a model saved with the stock layer loads into the fast one
        ComputationGraph stock = build(stockConf, null);
        ComputationGraph fast = build(back, stock.params());
        assertEquals(stock.params(), fast.params());
        assertEquals(stock.getLayer("sc").paramTable().keySet(), fast.getLayer("sc").paramTable().keySet());
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 7, 7);
        assertClose(stock.outputSingle(x), fast.outputSingle(x), 2e-5, "output");
    }

    @Test
    void trainingStepsMatchTheSameDiffLayer() {
        Geo g = new Geo(3, 1, 1, false, 6, 6);
        ComputationGraphConfiguration stockConf = oneLayer(SphereOperator.COSINE, g, 3, 4, DataType.FLOAT);
        ComputationGraph stock = build(stockConf, null);
        ComputationGraph fast = build(FastLayers.convert(stockConf), stock.params());
        Nd4j.getRandom().setSeed(9);
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 6, 6);
        INDArray y = Nd4j.rand(DataType.FLOAT, 4, 4, 6, 6).subi(0.5);
        double before = fast.score(new org.nd4j.linalg.dataset.DataSet(x, y));
        for (int i = 0; i < 5; i++) {
            stock.fit(new INDArray[]{x}, new INDArray[]{y});
            fast.fit(new INDArray[]{x}, new INDArray[]{y});
        }
        assertClose(stock.params(), fast.params(), 1e-4, "parameters after 5 SGD steps");
        double after = fast.score(new org.nd4j.linalg.dataset.DataSet(x, y));
        assertTrue(after < before, "the fast layer trains: score " + before + " -> " + after);
        assertTrue(((FastSphereConvLayer) fast.getLayer("sc")).oneDnnBackwardPasses() >= 5);
    }
}
