package io.protospark.model.fast;

import io.protospark.model.backbone.Backbones;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conversion (which layers, settings kept, JSON and model round trips) and the equivalence of fast and stock
 * networks on the same parameters, in float on the backend this build ships (oneDNN under the cpu profile).
 */
class FastLayersTest {

    /** resnet20 at 8×8 with a softmax head: 21 convolutions, 21 batch norms, no pooling layer apart from global. */
    private static ComputationGraphConfiguration resnet20() {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(7)
                .weightInit(WeightInit.RELU).updater(new Nesterovs(0.05, 0.9)).dataType(DataType.FLOAT);
        ComputationGraphConfiguration.GraphBuilder g = Backbones.graph("resnet20", 8, 8, 3, 64, base);
        g.addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                .activation(Activation.SOFTMAX).build(), Backbones.EMBEDDING);
        return g.setOutputs("head").build();
    }

    /**
     * A layer list with what resnet20 lacks: bias, Same mode, a ReLU inside a convolution, stride 2, max/avg pooling,
     * batch normalisation of a dense layer's output (as IResNet's feature BN), followed by a ReLU layer.
     */
    private static MultiLayerConfiguration plainNet(DataType type) {
        return new NeuralNetConfiguration.Builder().seed(11).dataType(type).updater(new Nesterovs(0.05, 0.9))
                .weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).stride(2, 2).padding(1, 1)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.TANH).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8)
                        .convolutionMode(ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(3, 3).stride(1, 1).padding(1, 1)
                        .convolutionMode(ConvolutionMode.Truncate).build())
                .layer(new DenseLayer.Builder().nOut(12).activation(Activation.TANH).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 3))
                .build();
    }

    private static int count(ComputationGraphConfiguration conf, Class<?> type) {
        int n = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer().getClass() == type) {
                n++;
            }
        }
        return n;
    }

    @Test
    void convertsExactlyTheStockConvPoolAndBatchNormLayers() {
        ComputationGraphConfiguration stock = resnet20();
        int convs = count(stock, ConvolutionLayer.class);
        int bns = count(stock, BatchNormalization.class);
        assertEquals(21, convs, "resnet20 with conv3x3 shortcuts: stem + 18 + 2 shortcut convs");
        assertEquals(convs, bns);

        int relus = count(stock, org.deeplearning4j.nn.conf.layers.ActivationLayer.class);
        assertEquals(19, relus, "stem + 2 per block");

        ComputationGraphConfiguration fast = FastLayers.convert(stock);
        assertEquals(0, count(fast, FastRelu.class), "all 19 ReLUs are fused into the batch norm or addition before");
        assertEquals(9, fast.getVertices().values().stream().filter(v -> v instanceof FastAdd).count());
        assertEquals(0, count(fast, org.deeplearning4j.nn.conf.layers.ActivationLayer.class));
        assertEquals(0, count(fast, ConvolutionLayer.class));
        assertEquals(0, count(fast, BatchNormalization.class));
        assertEquals(convs, count(fast, FastConvolution.class));
        assertEquals(bns, count(fast, FastBatchNormalization.class));
        assertEquals(convs, count(stock, ConvolutionLayer.class), "the input configuration is not changed");
        java.util.Set<String> kept = new java.util.LinkedHashSet<>(stock.getVertices().keySet());
        kept.removeIf(name -> name.equals("stem_relu") || name.endsWith("_relu1") || name.endsWith("_out"));
        assertEquals(kept, fast.getVertices().keySet(), "every vertex but the fused ReLUs, in the same order");
        assertEquals(stock.getNetworkOutputs(), fast.getNetworkOutputs());
        assertTrue(FastLayers.isChannelsLast(fast), "a ResNet's maps run channels-last");
        assertFalse(FastLayers.isChannelsLast(stock));
        LayerVertex stem = (LayerVertex) fast.getVertices().get("stem_conv");
        assertEquals(new NchwToNhwc(), stem.getPreProcessor(), "the network still takes NCHW input");
        assertEquals(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC,
                ((ConvolutionLayer) stem.getLayerConf().getLayer()).getCnn2dDataFormat());
        assertEquals(org.deeplearning4j.nn.conf.CNN2DFormat.NCHW,
                ((ConvolutionLayer) ((LayerVertex) stock.getVertices().get("stem_conv")).getLayerConf().getLayer())
                        .getCnn2dDataFormat(), "the stock configuration is not changed");

        // every setting is carried over: the fast layer equals the stock one field by field
        LayerVertex sConv = (LayerVertex) stock.getVertices().get("s2b1_conv1");
        LayerVertex fConv = (LayerVertex) fast.getVertices().get("s2b1_conv1");
        ConvolutionLayer s = (ConvolutionLayer) sConv.getLayerConf().getLayer();
        ConvolutionLayer f = (ConvolutionLayer) fConv.getLayerConf().getLayer();
        assertEquals(s.getNIn(), f.getNIn());
        assertEquals(s.getNOut(), f.getNOut());
        assertTrue(java.util.Arrays.equals(s.getStride(), f.getStride()));
        assertTrue(java.util.Arrays.equals(s.getPadding(), f.getPadding()));
        assertNotSame(s.getStride(), f.getStride(), "arrays are copies, not shared with the stock configuration");
        assertEquals(s.getConvolutionMode(), f.getConvolutionMode());
        assertEquals(s.hasBias(), f.hasBias());
        assertEquals(s.getLayerName(), f.getLayerName());
        assertEquals(s.getIUpdater(), f.getIUpdater());
        assertEquals(s.getWeightInitFn(), f.getWeightInitFn());
    }

    @Test
    void leavesOtherLayersAlone() {
        Layer depthwise = new DepthwiseConvolution2D.Builder(3, 3).nIn(4).nOut(4).build();
        assertSame(depthwise, FastLayers.convert(depthwise));
        Layer pnorm = new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2).build();
        assertSame(pnorm, FastLayers.convert(pnorm));
        Layer locked = new BatchNormalization.Builder().lockGammaBeta(true).build();
        assertSame(locked, FastLayers.convert(locked));
        Layer dilated = new ConvolutionLayer.Builder(3, 3).nIn(2).nOut(2).dilation(2, 2).build();
        assertSame(dilated, FastLayers.convert(dilated));
        Layer dense = new DenseLayer.Builder().nIn(3).nOut(2).build();
        assertSame(dense, FastLayers.convert(dense));
        Layer tanh = new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(Activation.TANH).build();
        assertSame(tanh, FastLayers.convert(tanh));
        Layer leaky = new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                .activation(new org.nd4j.linalg.activations.impl.ActivationReLU(null, 0.0, 0.1)).build();
        assertSame(leaky, FastLayers.convert(leaky), "a ReLU with a negative slope stays stock");
        Layer capped = new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                .activation(new org.nd4j.linalg.activations.impl.ActivationReLU(6.0, 0.0, 0.0)).build();
        assertSame(capped, FastLayers.convert(capped), "a capped ReLU stays stock");
        assertNull(FastLayers.convert((Layer) null));
        Layer fast = FastLayers.convert(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(2).build());
        assertSame(fast, FastLayers.convert(fast), "converting twice changes nothing");
    }

    @Test
    void graphsWithAFlattenRunChannelsLastAndMatchStock() throws Exception {
        // conv -> bn -> relu -> pool -> dense: the dense weights depend on DL4J's channels-first flatten order
        ComputationGraphConfiguration flat = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9)).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "c")
                .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build(), "relu")
                .addLayer("d", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out").build();
        ComputationGraphConfiguration fastConf = FastLayers.convert(flat);
        assertTrue(FastLayers.isChannelsLast(fastConf));
        assertEquals(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC,
                ((ConvolutionLayer) ((LayerVertex) fastConf.getVertices().get("c")).getLayerConf().getLayer())
                        .getCnn2dDataFormat());
        assertEquals(new NhwcFlatten(3, 3, 4), ((LayerVertex) fastConf.getVertices().get("d")).getPreProcessor());
        assertEquals(fastConf, ComputationGraphConfiguration.fromJson(fastConf.toJson()), "survives JSON");

        ComputationGraph stock = new ComputationGraph(flat);
        stock.init();
        ComputationGraph fast = new ComputationGraph(fastConf);
        fast.init();
        fast.setParams(stock.params().dup());
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.FLOAT, 5, 2, 6, 6);
        INDArray y = oneHot(5, 3);
        assertClose(stock.outputSingle(false, x), fast.outputSingle(false, x), 1e-4, "inference output");
        assertSameLossAndGradients(stock, fast, x, y);
        DataSet ds = new DataSet(x, y);
        for (int i = 0; i < 3; i++) {
            stock.fit(ds);
            fast.fit(ds);
        }
        assertClose(stock.params(), fast.params(), 2e-3, "parameters after 3 steps");
    }

    @Test
    void jsonRoundTripKeepsTheFastLayers() {
        ComputationGraphConfiguration fast = FastLayers.convert(resnet20());
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(fast.toJson());
        assertEquals(fast, back);
        assertTrue(FastLayers.isChannelsLast(back), "the channels-last formats and the input permutation survive JSON");
        assertEquals(21, count(back, FastConvolution.class));
        assertEquals(21, count(back, FastBatchNormalization.class));
        long fusedBn = back.getVertices().values().stream().filter(v -> v instanceof LayerVertex lv
                && lv.getLayerConf().getLayer() instanceof FastBatchNormalization bn && bn.isFusedRelu()).count();
        assertEquals(10, fusedBn, "batch norms read only by a ReLU: the stem's and each block's first");
        assertEquals(0, count(back, FastRelu.class), "their ReLUs and those after the additions are gone");
        assertEquals(9, back.getVertices().values().stream().filter(v -> v instanceof FastAdd).count());
        assertFalse(back.getVertices().containsKey("stem_relu"));
        assertEquals(List.of("stem_bn"), back.getVertexInputs().get("s1b1_conv1"), "the ReLU's reader reads the BN");
        assertEquals(fast.getTopologicalOrderStr(), back.getTopologicalOrderStr(), "the parameter order is saved");

        MultiLayerConfiguration list = FastLayers.convert(plainNet(DataType.FLOAT));
        MultiLayerConfiguration listBack = MultiLayerConfiguration.fromJson(list.toJson());
        assertEquals(list, listBack);
        assertTrue(listBack.getConf(0).getLayer() instanceof FastConvolution);
        assertTrue(listBack.getConf(1).getLayer() instanceof FastBatchNormalization);
        assertTrue(listBack.getConf(2).getLayer() instanceof FastSubsampling);
        assertTrue(listBack.getConf(5).getLayer() instanceof FastSubsampling);
        assertTrue(listBack.getConf(7).getLayer() instanceof FastBatchNormalization, "batch norm on dense input");
        assertTrue(((FastBatchNormalization) listBack.getConf(7).getLayer()).isFusedRelu());
        assertTrue(((FastRelu) listBack.getConf(8).getLayer()).isPassThrough());
        assertFalse(((FastBatchNormalization) listBack.getConf(1).getLayer()).isFusedRelu(), "read by a pooling");
    }

    /**
     * The running statistics in DL4J's older form (variance, not log10 σ), which {@link DnnlBatchNormLayer} updates
     * in its own loop, stay with the stock layer's over a few steps, and so does inference on them.
     */
    @Test
    void runningVarianceFormMatchesStock() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9)).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).convolutionMode(ConvolutionMode.Same).build())
                .layer(new BatchNormalization.Builder().useLogStd(false).decay(0.7).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2))
                .build();
        MultiLayerNetwork stock = new MultiLayerNetwork(conf);
        stock.init();
        MultiLayerNetwork fast = new MultiLayerNetwork(FastLayers.convert(conf));
        fast.init();
        fast.setParams(stock.params().dup());
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(DataType.FLOAT, 8, 2, 6, 6).addi(1.5);
        INDArray y = oneHot(8, 3);
        for (int i = 0; i < 3; i++) {
            stock.fit(x, y);
            fast.fit(x, y);
        }
        assertClose(stock.getLayer(1).getParam("var"), fast.getLayer(1).getParam("var"), 1e-3, "running variance");
        assertClose(stock.getLayer(1).getParam("mean"), fast.getLayer(1).getParam("mean"), 1e-3, "running mean");
        assertClose(stock.output(x, false), fast.output(x, false), 1e-3, "inference on the running statistics");
        assertTrue(((DnnlBatchNorm) ((org.deeplearning4j.nn.layers.normalization.BatchNormalization)
                fast.getLayer(1)).getHelper()).oneDnnBackwardPasses() > 0, "the oneDNN path ran");
    }

    /** A batch norm is fused with a ReLU only when that ReLU is its one reader and reads nothing else. */
    @Test
    void batchNormFusesOnlyWithItsSoleReluReader() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .build(), "in")
                .addLayer("shared", new BatchNormalization.Builder().build(), "c")
                .addLayer("r1", new ActivationLayer.Builder().activation(Activation.RELU).build(), "shared")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "r1", "shared")
                .addLayer("own", new BatchNormalization.Builder().build(), "add")
                .addLayer("r2", new ActivationLayer.Builder().activation(Activation.RELU).build(), "own")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "r2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
        ComputationGraphConfiguration fast = FastLayers.convert(conf);
        Map<String, GraphVertex> v = fast.getVertices();
        assertFalse(((FastBatchNormalization) ((LayerVertex) v.get("shared")).getLayerConf().getLayer()).isFusedRelu(),
                "also read by the addition, which needs the values before the ReLU");
        assertFalse(((FastRelu) ((LayerVertex) v.get("r1")).getLayerConf().getLayer()).isPassThrough());
        FastBatchNormalization own = (FastBatchNormalization) ((LayerVertex) v.get("own")).getLayerConf().getLayer();
        assertTrue(own.isFusedRelu());
        assertFalse(own.isCudnnAllowFallback(), "DL4J's own batch norm must not stand in for a fused one");
        assertFalse(v.containsKey("r2"), "the fused ReLU vertex is removed");
        assertEquals(List.of("own"), fast.getVertexInputs().get("gap"));
        assertEquals(ElementWiseVertex.class, v.get("add").getClass(), "an addition read by a batch norm stays");
        assertFalse(((BatchNormalization) ((LayerVertex) conf.getVertices().get("own")).getLayerConf().getLayer())
                instanceof FastBatchNormalization, "the input configuration is not changed");
    }

    @Test
    void instantiatedLayersCarryTheNativeHelpers() {
        MultiLayerNetwork net = new MultiLayerNetwork(FastLayers.convert(plainNet(DataType.FLOAT)));
        net.init();
        assertTrue(((org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) net.getLayer(0)).getHelper()
                instanceof MKLDNNConvHelper);
        assertTrue(((org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer) net.getLayer(2))
                .getHelper() instanceof MKLDNNSubsamplingHelper);
        assertTrue(((org.deeplearning4j.nn.layers.normalization.BatchNormalization) net.getLayer(1)).getHelper()
                != null);
        MultiLayerNetwork stock = new MultiLayerNetwork(plainNet(DataType.FLOAT));
        stock.init();
        assertNull(((org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) stock.getLayer(0)).getHelper(),
                "stock DL4J M2.1 layers have no helper (the reason this package exists)");
    }

    @Test
    void cpuBuildLoadsOneDnn() {
        String backend = Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend");
        if ("CPU".equalsIgnoreCase(backend)) {
            assertTrue(FastLayers.oneDnnLoaded(), "the cpu profile ships nd4j-native linux-x86_64-onednn-avx2; "
                    + "found a libnd4j without oneDNN");
        }
    }

    @Test
    void graphMatchesStockOutputsGradientsAndTraining() throws Exception {
        ComputationGraphConfiguration stockConf = resnet20();
        ComputationGraph stock = new ComputationGraph(stockConf);
        stock.init();
        ComputationGraph fast = new ComputationGraph(FastLayers.convert(stockConf));
        fast.init();
        fast.setParams(stock.params().dup());

        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 3, 8, 8);
        INDArray y = oneHot(6, 5);
        assertClose(stock.outputSingle(false, x), fast.outputSingle(false, x), 1e-4, "inference output");
        assertClose(stock.outputSingle(true, x), fast.outputSingle(true, x), 1e-4, "training-mode output");

        assertSameLossAndGradients(stock, fast, x, y);

        // three SGD steps: parameters, including the batch-norm running mean and variance, stay together
        DataSet ds = new DataSet(x, y);
        for (int i = 0; i < 3; i++) {
            stock.fit(ds);
            fast.fit(ds);
        }
        assertClose(stock.params(), fast.params(), 2e-3, "parameters after 3 steps");
        assertNoHelperFellBack(fast.getLayers());
        int fused = 0;
        for (org.deeplearning4j.nn.api.Layer layer : fast.getLayers()) {
            if (layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization bn) {
                DnnlBatchNorm helper = (DnnlBatchNorm) bn.getHelper();
                String name = layer.conf().getLayer().getLayerName();
                assertTrue(helper.oneDnnForwardPasses() > 0 && helper.oneDnnBackwardPasses() > 0,
                        name + " ran on oneDNN both ways");
                fused += helper.fusesRelu() ? 1 : 0;
            }
        }
        assertEquals(10, fused, "the stem's and each block's first batch norm carry their ReLU");

        // saved and restored: the fused graph's parameter order (fixed in its configuration) comes back with it
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(fast, bytes, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(
                new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(fast.params(), restored.params());
        assertClose(fast.outputSingle(false, x), restored.outputSingle(false, x), 1e-6, "restored output");
        assertClose(stock.outputSingle(false, x), restored.outputSingle(false, x), 1e-3, "restored vs stock output");
        assertClose(stock.getLayer("stem_bn").getParam("mean"), fast.getLayer("stem_bn").getParam("mean"), 1e-3, "BN running mean");
        assertClose(stock.getLayer("stem_bn").getParam("log10stdev"), fast.getLayer("stem_bn").getParam("log10stdev"), 1e-3, "BN running log10 std");
    }

    @Test
    void iresnetRunsChannelsLastAndMatchesStock() throws Exception {
        // IResNet's per-channel PReLUs (ChannelPrelu) take NHWC maps, so the whole face backbone runs channels-last;
        // 16x16 input keeps the step light (a 1x1 final map)
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(5)
                .weightInit(WeightInit.RELU).updater(new Nesterovs(0.05, 0.9)).dataType(DataType.FLOAT);
        ComputationGraphConfiguration.GraphBuilder g = Backbones.graph("iresnet18", 16, 16, 3, 8, base);
        g.addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                .activation(Activation.SOFTMAX).build(), Backbones.EMBEDDING);
        ComputationGraphConfiguration stockConf = g.setOutputs("head").build();
        ComputationGraphConfiguration fastConf = FastLayers.convert(stockConf);
        assertTrue(FastLayers.isChannelsLast(fastConf), "IResNet's maps run channels-last");
        assertEquals(CNN2DFormat.NHWC, ((ChannelPrelu) ((LayerVertex) fastConf.getVertices().get("s2b1_prelu"))
                .getLayerConf().getLayer()).getCnn2dDataFormat());
        ComputationGraph stock = new ComputationGraph(stockConf);
        stock.init();
        ComputationGraph fast = new ComputationGraph(fastConf);
        fast.init();
        fast.setParams(stock.params().dup());
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 16, 16);
        INDArray y = oneHot(4, 5);
        assertClose(stock.outputSingle(false, x), fast.outputSingle(false, x), 1e-4, "inference output");
        assertSameLossAndGradients(stock, fast, x, y);
    }

    @Test
    void layerListMatchesStockAndSurvivesModelSerializer() throws Exception {
        MultiLayerNetwork stock = new MultiLayerNetwork(plainNet(DataType.FLOAT));
        stock.init();
        MultiLayerNetwork fast = new MultiLayerNetwork(FastLayers.convert(plainNet(DataType.FLOAT)));
        fast.init();
        fast.setParams(stock.params().dup());
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 7, 3, 12, 12);
        INDArray y = oneHot(7, 4);
        assertClose(stock.output(x, false), fast.output(x, false), 1e-4, "inference output");
        stock.setInput(x);
        stock.setLabels(y);
        stock.computeGradientAndScore();
        fast.setInput(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        assertClose(stock.gradient().gradient(), fast.gradient().gradient(), 2e-3, "flattened gradient");

        for (int i = 0; i < 3; i++) {
            stock.fit(x, y);
            fast.fit(x, y);
        }
        assertClose(stock.params(), fast.params(), 2e-3, "parameters after 3 steps");
        assertNoHelperFellBack(fast.getLayers());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(fast, bytes, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(
                new ByteArrayInputStream(bytes.toByteArray()), true);
        assertTrue(restored.getLayerWiseConfigurations().getConf(0).getLayer() instanceof FastConvolution);
        assertTrue(((org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) restored.getLayer(0)).getHelper()
                instanceof MKLDNNConvHelper);
        assertEquals(fast.params(), restored.params());
        assertClose(fast.output(x, false), restored.output(x, false), 1e-6, "restored output");
    }

    /**
     * DL4J catches a helper's exception, logs it and falls back to its Java path (counting the failures in
     * {@code helperCountFail}); equal results alone would not show that the native ops ran.
     */
    private static void assertNoHelperFellBack(org.deeplearning4j.nn.api.Layer[] layers) throws Exception {
        int withHelper = 0;
        for (org.deeplearning4j.nn.api.Layer layer : layers) {
            if (!FastLayers.isFast(layer.conf().getLayer())) {
                continue;
            }
            withHelper++;
            for (Class<?> c = layer.getClass(); c != null; c = c.getSuperclass()) {
                try {
                    java.lang.reflect.Field f = c.getDeclaredField("helperCountFail");
                    f.setAccessible(true);
                    assertEquals(0, f.getInt(layer), layer.conf().getLayer().getLayerName()
                            + ": the native op failed and DL4J fell back to its Java path");
                    break;
                } catch (NoSuchFieldException e) {
                    // look in the superclass
                }
            }
        }
        assertTrue(withHelper > 0, "no fast layer in the network");
    }

    /** One backward pass of each graph on (x, y): the same loss and, per parameter, the same gradient. */
    private static void assertSameLossAndGradients(ComputationGraph stock, ComputationGraph fast, INDArray x,
                                                   INDArray y) {
        stock.setInputs(x);
        stock.setLabels(y);
        stock.computeGradientAndScore();
        fast.setInputs(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        assertEquals(stock.score(), fast.score(), 1e-4 * Math.abs(stock.score()), "loss");
        Map<String, INDArray> gs = stock.gradient().gradientForVariable();
        Map<String, INDArray> gf = fast.gradient().gradientForVariable();
        assertEquals(gs.keySet(), gf.keySet());
        for (String k : gs.keySet()) {
            assertClose(gs.get(k), gf.get(k), 2e-3, "gradient " + k);
        }
    }

    private static INDArray oneHot(int n, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7 + 1) % classes, 1.0);
        }
        return y;
    }

    /** Max |a − b| ≤ tol · max(1, max |a|). */
    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()), what + ": shapes differ");
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol * scale, what + ": max difference " + diff + " exceeds " + tol * scale);
    }
}
