package io.protospark.model.head;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class NormalizedDenseTest {
    private static final int D = 4;
    private static final int K = 3;

    @BeforeEach
    void setUp() {
        DoublePrecision.use();
    }

    @AfterEach
    void tearDown() {
        DoublePrecision.restore();
    }

    /** input(5) → dense tanh (d) → NormalizedDense (K) → softmax cross-entropy. */
    private static ComputationGraphConfiguration graphConf(org.nd4j.linalg.learning.config.IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(7).updater(updater).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("emb", new DenseLayer.Builder().nOut(D).activation(Activation.TANH).build(), "in")
                .addLayer("head", new NormalizedDense.Builder().nOut(K).build(), "emb")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).build(), "head")
                .setOutputs("loss")
                .setInputTypes(InputType.feedForward(5))
                .build();
    }

    private static ComputationGraph graph(org.nd4j.linalg.learning.config.IUpdater updater) {
        ComputationGraph g = new ComputationGraph(graphConf(updater));
        g.init();
        return g;
    }

    /** A layer alone at the input: NormalizedDense (d → K) then softmax cross-entropy. */
    private static MultiLayerNetwork alone() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(3).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new NormalizedDense.Builder().nIn(D).nOut(K).build())
                .layer(new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void logitsAreDotProductsWithUnitColumnsAndBiasFree() {
        ComputationGraph g = graph(new NoOp());
        assertEquals(D * K, g.getLayer("head").numParams(), "no bias: d·K parameters");
        INDArray w = g.getLayer("head").getParam("W");
        w.assign(Nd4j.create(new double[][] {{3, 0, 1}, {4, 0, 1}, {0, 2, 1}, {0, 0, 1}}));
        MultiLayerNetwork net = alone();
        net.getLayer(0).getParam("W").assign(w);
        INDArray f = Nd4j.create(new double[][] {{1, 2, 3, 4}, {-1, 0.5, 0, 2}});
        INDArray z = net.feedForward(f, false).get(1);
        double[][] expected = {
            {(3 + 8) / 5.0, 3.0, (1 + 2 + 3 + 4) / 2.0},
            {(-3 + 2) / 5.0, 0.0, (-1 + 0.5 + 0 + 2) / 2.0}};
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(expected[i], z.getRow(i).toDoubleVector(), 1e-12);
        }
        // logits = ‖f‖ cos θ_k
        double fn = f.getRow(0).norm2Number().doubleValue();
        INDArray unit = NormalizedDense.normalizedRows(w);
        double cos = f.getRow(0).mul(unit.getRow(2)).sumNumber().doubleValue() / fn;
        assertEquals(fn * cos, z.getDouble(0, 2), 1e-12);
    }

    @Test
    void outputIgnoresTheLengthOfEachClassVector() {
        MultiLayerNetwork net = alone();
        INDArray f = Nd4j.rand(DataType.DOUBLE, 6, D).subi(0.5);
        INDArray before = net.output(f);
        INDArray w = net.getLayer(0).getParam("W");
        w.getColumn(1).muli(17.0);
        w.getColumn(2).muli(0.01);
        assertEquals(0.0, before.sub(net.output(f)).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void normalizedRowsAreUnitAndKByD() {
        INDArray w = Nd4j.rand(DataType.DOUBLE, D, K).addi(0.1);
        INDArray rows = NormalizedDense.normalizedRows(w);
        assertArrayEquals(new long[] {K, D}, rows.shape());
        assertArrayEquals(new double[] {1, 1, 1}, rows.norm2(1).toDoubleVector(), 1e-12);
        assertEquals(0.0, rows.getRow(0).mul(w.getColumn(0).norm2Number()).sub(w.getColumn(0))
                .amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void gradientCheckThroughTheNormalisation() {
        ComputationGraph g = graph(new NoOp());
        INDArray x = Nd4j.rand(DataType.DOUBLE, 7, 5).subi(0.5).muli(3);
        INDArray y = DoublePrecision.oneHot(K, 0, 1, 2, 2, 1, 0, 1);
        // the dense layer's parameters check the gradient the head passes back (w.r.t. its input) as well
        HeadChecks.gradientCheck(g, x, y, "NormalizedDense in a graph");
    }

    @Test
    void inputGradientMatchesCentralDifferences() {
        MultiLayerNetwork net = alone();
        INDArray f = Nd4j.rand(DataType.DOUBLE, 5, D).subi(0.5).muli(2);
        INDArray y = DoublePrecision.oneHot(K, 0, 2, 1, 1, 0);
        Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> p = net.calculateGradients(f, y, null, null);
        INDArray analytic = p.getSecond();
        double h = 1e-6;
        double worst = 0;
        for (int i = 0; i < f.rows(); i++) {
            for (int j = 0; j < f.columns(); j++) {
                INDArray fp = f.dup();
                fp.putScalar(i, j, f.getDouble(i, j) + h);
                double up = net.score(new DataSet(fp, y)) * f.rows();
                fp.putScalar(i, j, f.getDouble(i, j) - h);
                double down = net.score(new DataSet(fp, y)) * f.rows();
                worst = Math.max(worst, Math.abs((up - down) / (2 * h) - analytic.getDouble(i, j)));
            }
        }
        assertTrue(worst < 1e-7, "input gradient deviates by " + worst);
    }

    @Test
    void weightGradientIsTangentialToEveryClassVector() {
        MultiLayerNetwork net = alone();
        INDArray f = Nd4j.rand(DataType.DOUBLE, 5, D).subi(0.5);
        INDArray y = DoublePrecision.oneHot(K, 0, 2, 1, 1, 0);
        INDArray gw = net.calculateGradients(f, y, null, null).getFirst().getGradientFor("0_W");
        INDArray w = net.getLayer(0).getParam("W");
        INDArray radial = w.mul(gw).sum(0);
        assertEquals(0.0, radial.amaxNumber().doubleValue(), 1e-12, "w_k · ∂L/∂w_k must vanish");
        assertTrue(gw.amaxNumber().doubleValue() > 1e-6, "the weights receive a gradient");
    }

    @Test
    void trainsTheClassVectors() {
        ComputationGraph g = graph(new Sgd(0.5));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 12, 5).subi(0.5).muli(3);
        int[] labels = new int[12];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % K;
        }
        INDArray y = DoublePrecision.oneHot(K, labels);
        INDArray w0 = g.getLayer("head").getParam("W").dup();
        DataSet ds = new DataSet(x, y);
        double first = g.score(ds);
        for (int i = 0; i < 50; i++) {
            g.fit(ds);
        }
        INDArray w1 = g.getLayer("head").getParam("W");
        assertNotEquals(0.0, w1.sub(w0).amaxNumber().doubleValue(), "head weights must move");
        assertTrue(g.score(ds) < first, "loss must drop: " + first + " -> " + g.score(ds));
    }

    @Test
    void jsonRoundTripOfTheGraphConfiguration() {
        ComputationGraphConfiguration conf = graphConf(new Sgd(0.1));
        String json = conf.toJson();
        assertTrue(json.contains(NormalizedDense.class.getName()), "JSON names the layer class");
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
        assertInstanceOf(NormalizedDense.class,
                ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("head")).getLayerConf()
                        .getLayer());
        ComputationGraph a = new ComputationGraph(conf);
        a.init();
        ComputationGraph b = new ComputationGraph(back);
        b.init(a.params().dup(), true);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 5);
        assertEquals(0.0, a.outputSingle(x).sub(b.outputSingle(x)).amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void equalityDistinguishesAStockDenseLayer() {
        NormalizedDense n = new NormalizedDense.Builder().nIn(D).nOut(K).build();
        DenseLayer dense = new DenseLayer.Builder().nIn(D).nOut(K).hasBias(false).activation(Activation.IDENTITY)
                .build();
        assertNotEquals(n, dense);
        assertNotEquals(dense, n);
        assertEquals(n, new NormalizedDense.Builder().nIn(D).nOut(K).build());
    }

    @Test
    void rejectsMissingClassCountAndWrongInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NormalizedDense.Builder().nIn(D).build());
        assertTrue(e.getMessage().contains("nOut"), e.getMessage());
        MultiLayerNetwork net = alone();
        Exception ex = assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.DOUBLE, 2, D + 1)));
        assertTrue(String.valueOf(ex.getMessage()).contains("N×" + D), ex.getMessage());
    }
}
