package io.protospark.model.head;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class DamTest {
    @BeforeEach
    void setUp() {
        DoublePrecision.use();
    }

    @AfterEach
    void tearDown() {
        DoublePrecision.restore();
    }

    @Test
    void sizesFollowTheSeedRule() {
        assertArrayEquals(new int[] {2, 7, 20, 20}, Dam.sizes(2, 20, 2));
        assertArrayEquals(new int[] {512, 12500, 12500}, Dam.sizes(512, 12500, 1));
        assertArrayEquals(new int[] {512, 12500}, Dam.sizes(512, 12500, 0));
        // g = 10^(1/3) ≈ 2.154: 3 → 7 (6.46) → 16 (15.08) → 30 (34.5 > 30) → final 30
        assertArrayEquals(new int[] {3, 7, 16, 30, 30}, Dam.sizes(3, 30, 3));
        // shrinking: the first block already overshoots and maps to out
        assertArrayEquals(new int[] {100, 10, 10, 10}, Dam.sizes(100, 10, 2));
    }

    @Test
    void sizesRejectBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dam.sizes(0, 5, 1));
        assertTrue(e.getMessage().contains("in = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dam.sizes(2, 5, -1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    private static ComputationGraphConfiguration.GraphBuilder base(int in) {
        return new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(5).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(in));
    }

    private static Layer layer(ComputationGraphConfiguration c, String name) {
        return ((LayerVertex) c.getVertices().get(name)).getLayerConf().getLayer();
    }

    @Test
    void addBuildsLinearPreluBatchNormBlocksThenALinear() {
        ComputationGraphConfiguration.GraphBuilder g = base(2);
        assertEquals("dam", Dam.add(g, "in", 2, 20, 2, "dam"));
        g.setOutputs("dam");
        ComputationGraphConfiguration c = g.build();
        List<String> blocks = List.of("dam_fc1", "dam_prelu1", "dam_bn1", "dam_fc2", "dam_prelu2", "dam_bn2", "dam");
        String prev = "in";
        for (String name : blocks) {
            assertEquals(List.of(prev), c.getVertexInputs().get(name), name + " input");
            prev = name;
        }
        assertEquals(7, c.getVertices().size(), "seven layers, nothing else");
        int[][] widths = {{2, 7}, {7, 7}, {7, 7}, {7, 20}, {20, 20}, {20, 20}, {20, 20}};
        for (int i = 0; i < blocks.size(); i++) {
            Layer l = layer(c, blocks.get(i));
            Class<?> expected = i % 3 == 0 || i == 6 ? DenseLayer.class : i % 3 == 1 ? Prelu.class
                    : BatchNormalization.class;
            assertInstanceOf(expected, l, blocks.get(i));
            var ff = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l;
            assertArrayEquals(widths[i], new int[] {(int) ff.getNIn(), (int) ff.getNOut()}, blocks.get(i));
        }
        DenseLayer fc = (DenseLayer) layer(c, "dam_fc1");
        assertTrue(fc.hasBias(), "PyTorch Linear has a bias");
        assertEquals(Activation.IDENTITY.getActivationFunction(), fc.getActivationFn());
        assertTrue(((Prelu) layer(c, "dam_prelu1")).isShared(), "nn.PReLU(): one shared slope");
        BatchNormalization bn = (BatchNormalization) layer(c, "dam_bn1");
        assertEquals(1e-5, bn.getEps(), 0.0);
        assertEquals(0.9, bn.getDecay(), 0.0);

        ComputationGraph net = new ComputationGraph(c);
        net.init();
        INDArray out = net.outputSingle(Nd4j.rand(DataType.DOUBLE, 6, 2));
        assertArrayEquals(new long[] {6, 20}, out.shape());
        // PyTorch's nn.Linear weight init: U(−1/√fanIn, 1/√fanIn)
        double bound = 1 / Math.sqrt(7);
        INDArray w2 = net.getLayer("dam_fc2").getParam("W");
        assertTrue(w2.amaxNumber().doubleValue() <= bound, "fc2 weights within ±1/√7");
        assertTrue(w2.amaxNumber().doubleValue() > 0.8 * bound, "fc2 weights fill the uniform range");
    }

    @Test
    void zeroBlocksIsOneLinear() {
        ComputationGraphConfiguration.GraphBuilder g = base(3);
        Dam.add(g, "in", 3, 4, 0, "lift");
        ComputationGraphConfiguration c = g.setOutputs("lift").build();
        assertEquals(1, c.getVertices().size());
        assertEquals(3, ((DenseLayer) layer(c, "lift")).getNIn());
    }

    @Test
    void gradientCheckOfTheWholeModule() {
        ComputationGraphConfiguration.GraphBuilder g = base(3);
        Dam.add(g, "in", 3, 8, 2, "dam");
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), "dam");
        ComputationGraph net = new ComputationGraph(g.setOutputs("loss").build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 10, 3).subi(0.5).muli(4);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 10, 8);
        HeadChecks.gradientCheck(net, x, y, "DAM 3→8, L=2",
                Set.of("dam_bn1_mean", "dam_bn1_log10stdev", "dam_bn2_mean", "dam_bn2_log10stdev"));
    }

    @Test
    void trainsEveryParameterIncludingTheSlopes() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(5).updater(new Sgd(0.05)).graphBuilder().addInputs("in")
                .setInputTypes(InputType.feedForward(2));
        Dam.add(g, "in", 2, 20, 2, "dam");
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), "dam");
        ComputationGraph net = new ComputationGraph(g.setOutputs("loss").build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 64, 2).subi(0.5).muli(4);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 64, 20).muli(3);
        DataSet ds = new DataSet(x, y);
        INDArray a0 = net.getLayer("dam_prelu1").getParam(Prelu.SLOPE_KEY).dup();
        double first = net.score(ds);
        for (int i = 0; i < 40; i++) {
            net.fit(ds);
        }
        assertNotEquals(a0.getDouble(0), net.getLayer("dam_prelu1").getParam(Prelu.SLOPE_KEY).getDouble(0),
                "the PReLU slope must train");
        assertTrue(net.score(ds) < first, "loss must drop: " + first + " -> " + net.score(ds));
    }

    @Test
    void jsonRoundTrip() {
        ComputationGraphConfiguration.GraphBuilder g = base(2);
        Dam.add(g, "in", 2, 20, 2, "dam");
        ComputationGraphConfiguration c = g.setOutputs("dam").build();
        String json = c.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(c, back);
        assertEquals(json, back.toJson());
    }

    @Test
    void revisedNetworkIsOneLinearOverTheFlattenedMap() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(5).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(2, 3, 4));
        assertEquals("emb", Dam.revised(g, "in", "emb", 5));
        ComputationGraphConfiguration c = g.setOutputs("emb").build();
        DenseLayer fc = (DenseLayer) layer(c, "emb");
        assertEquals(24, fc.getNIn(), "4·2·3 flattened");
        assertEquals(5, fc.getNOut());
        assertTrue(fc.hasBias());
        ComputationGraph net = new ComputationGraph(c);
        net.init();
        INDArray b = net.getLayer("emb").getParam("b");
        b.assign(Nd4j.linspace(DataType.DOUBLE, 1, 5, 5).reshape(1, 5));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 4, 2, 3);
        INDArray flat = x.reshape('c', 3, 24); // PyTorch flatten order [c, h, w]
        INDArray expected = flat.mmul(net.getLayer("emb").getParam("W")).addRowVector(b);
        assertEquals(0.0, expected.sub(net.outputSingle(x)).amaxNumber().doubleValue(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Dam.revised(g, "in", "bad", 0));
    }
}
