package io.protospark.model.fast;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ChannelPrelu} against PyTorch's PReLU formulas computed here in plain Java: forward, ∂L/∂x and ∂L/∂a, for
 * float (oneDNN) and double (libnd4j's broadcast ops) in both layouts; a finite-difference gradient check in a graph,
 * channels-first and channels-last; the configuration's JSON, its refusals, and its place in a channels-last graph.
 */
class ChannelPreluTest {
    /** Input, slopes, upstream gradient and the expected y, dx, da, all as [n][c][h][w] / [c]. */
    private record Case(double[][][][] x, double[] a, double[][][][] dy, double[][][][] y, double[][][][] dx,
                        double[] da) {
        static Case random(int n, int c, int h, int w, long seed) {
            Random r = new Random(seed);
            double[][][][] x = new double[n][c][h][w];
            double[][][][] dy = new double[n][c][h][w];
            double[][][][] y = new double[n][c][h][w];
            double[][][][] dx = new double[n][c][h][w];
            double[] a = new double[c];
            double[] da = new double[c];
            for (int k = 0; k < c; k++) {
                a[k] = r.nextDouble() * 1.2 - 0.4; // negative, small and large slopes
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < c; k++) {
                    for (int p = 0; p < h; p++) {
                        for (int q = 0; q < w; q++) {
                            double v = r.nextGaussian();
                            double g = r.nextGaussian();
                            x[i][k][p][q] = v;
                            dy[i][k][p][q] = g;
                            y[i][k][p][q] = v > 0 ? v : a[k] * v;
                            dx[i][k][p][q] = v > 0 ? g : a[k] * g;
                            da[k] += v > 0 ? 0 : g * v;
                        }
                    }
                }
            }
            return new Case(x, a, dy, y, dx, da);
        }
    }

    private static INDArray maps(double[][][][] a, DataType type, CNN2DFormat format) {
        INDArray nchw = Nd4j.create(a).castTo(type);
        return format == CNN2DFormat.NHWC ? nchw.permute(0, 2, 3, 1).dup('c') : nchw;
    }

    private static Layer layer(int channels, CNN2DFormat format, DataType type) {
        ChannelPrelu conf = new ChannelPrelu.Builder().nIn(channels).build();
        conf.setCnn2dDataFormat(format);
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(type).updater(new NoOp())
                .layer(conf).build();
        long n = conf.initializer().numParams(nnc);
        INDArray params = Nd4j.create(type, 1, n);
        Layer l = conf.instantiate(nnc, null, 0, params, true, type);
        l.setBackpropGradientsViewArray(Nd4j.create(type, 1, n));
        return l;
    }

    private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol, what + ": largest difference " + diff + " > " + tol);
    }

    @ParameterizedTest
    @EnumSource(CNN2DFormat.class)
    void floatAndDoubleMatchTheFormulas(CNN2DFormat format) {
        // 19 channels: not a multiple of the vector width, so the kernels' tail path runs
        Case c = Case.random(3, 19, 4, 5, 11);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Layer l = layer(19, format, type);
            l.getParam(ChannelPrelu.SLOPE_KEY).assign(Nd4j.create(new double[][] {c.a()}).castTo(type));
            LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
            l.setInput(maps(c.x(), type, format), ws);
            INDArray y = l.activate(true, ws);
            String what = format + " " + type;
            double tol = type == DataType.FLOAT ? 1e-5 : 1e-12;
            assertClose(maps(c.y(), type, format), y, tol, what + " y");
            Pair<Gradient, INDArray> back = l.backpropGradient(maps(c.dy(), type, format), ws);
            assertClose(maps(c.dx(), type, format), back.getSecond(), tol, what + " dx");
            assertClose(Nd4j.create(new double[][] {c.da()}), back.getFirst().getGradientFor(ChannelPrelu.SLOPE_KEY),
                    type == DataType.FLOAT ? 1e-4 : 1e-10, what + " da");
            INDArray inference = l.activate(false, ws);
            assertClose(maps(c.y(), type, format), inference, tol, what + " inference y");
        }
    }

    @Test
    void floatMapsRunOnOneDnn() {
        assertTrue(DnnlPrelu.takes(Nd4j.create(DataType.FLOAT, 2, 3, 4, 5)), "oneDNN loads in the CPU build");
        String impl = DnnlPrelu.implementations(new DnnlPrelu.Geometry(2, 64, 8, 8, true));
        assertTrue(!impl.isEmpty(), impl);
    }

    private static ComputationGraphConfiguration graph() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new NoOp())
                .weightInit(new NormalDistribution(0, 1)).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(5, 4, 2))
                .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(3).convolutionMode(ConvolutionMode.Truncate)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("p", new ChannelPrelu.Builder().build(), "c")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "p")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
    }

    @ParameterizedTest
    @EnumSource(CNN2DFormat.class)
    void gradientCheckInAGraph(CNN2DFormat format) {
        DataType saved = Nd4j.dataType();
        DataType savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraphConfiguration conf = graph();
            if (format == CNN2DFormat.NHWC) {
                conf = FastLayers.convert(conf);
                assertTrue(FastLayers.isChannelsLast(conf), "a PReLU keeps the graph channels-last");
            }
            ChannelPrelu p = (ChannelPrelu) ((LayerVertex) conf.getVertices().get("p")).getLayerConf().getLayer();
            assertEquals(3, p.getNIn(), "channels from the input type");
            assertEquals(format, p.getCnn2dDataFormat());
            ComputationGraph net = new ComputationGraph(conf);
            net.init();
            // slopes of both signs and sizes, so both branches carry gradient
            net.getLayer("p").getParam(ChannelPrelu.SLOPE_KEY).assign(Nd4j.createFromArray(-0.3, 0.25, 0.9)
                    .reshape(1, 3));
            Nd4j.getRandom().setSeed(9);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 5, 4).subi(0.5);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
            for (int i = 0; i < 4; i++) {
                y.putScalar(i, i % 3, 1.0);
            }
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).excludeParams(Set.of())
                    .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8));
            assertTrue(ok, "gradient check, " + format);
        } finally {
            Nd4j.setDefaultDataTypes(saved, savedFloat);
        }
    }

    @Test
    void channelsLastNetworkRoundTripsThroughModelSerializer() throws Exception {
        ComputationGraphConfiguration conf = graph();
        conf.setDataType(DataType.FLOAT);
        ComputationGraph net = new ComputationGraph(FastLayers.convert(conf));
        net.init();
        net.getLayer("p").getParam(ChannelPrelu.SLOPE_KEY).assign(Nd4j.createFromArray(-0.3f, 0.25f, 0.9f)
                .reshape(1, 3));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(net, bytes, true);
        ComputationGraph back = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(
                new java.io.ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.params(), back.params());
        assertEquals(CNN2DFormat.NHWC, ((ChannelPrelu) back.getLayer("p").conf().getLayer()).getCnn2dDataFormat());
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 2, 5, 4);
        assertClose(net.outputSingle(false, x), back.outputSingle(false, x), 0.0, "restored output");
    }

    @Test
    void configurationSurvivesJsonAndRefusesWhatItCannotTake() {
        ComputationGraphConfiguration fast = FastLayers.convert(graph());
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(fast.toJson());
        assertEquals(fast, back);
        ChannelPrelu p = (ChannelPrelu) ((LayerVertex) back.getVertices().get("p")).getLayerConf().getLayer();
        assertEquals(CNN2DFormat.NHWC, p.getCnn2dDataFormat());
        assertEquals(ChannelPrelu.DEFAULT_SLOPE, p.getInitialSlope());

        IllegalArgumentException ff = assertThrows(IllegalArgumentException.class,
                () -> new ChannelPrelu.Builder().build().getOutputType(0, InputType.feedForward(4)));
        assertTrue(ff.getMessage().contains("feature map"), ff.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> new ChannelPrelu.Builder().initialSlope(Double.NaN));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        Layer l = layer(4, CNN2DFormat.NCHW, DataType.FLOAT);
        l.setInput(Nd4j.create(DataType.FLOAT, 2, 5, 3, 3), LayerWorkspaceMgr.noWorkspaces());
        Exception wrong = assertThrows(Exception.class, () -> l.activate(false, LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(wrong.getMessage().contains("4 channels") && wrong.getMessage().contains("[2, 5, 3, 3]"),
                wrong.getMessage());
    }
}
