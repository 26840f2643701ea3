package io.protospark.model.head;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
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
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class PreluTest {
    private static final int N_IN = 4;
    private static final int WIDTH = 5;

    @BeforeEach
    void setUp() {
        DoublePrecision.use();
    }

    @AfterEach
    void tearDown() {
        DoublePrecision.restore();
    }

    /** in(4) → dense (5, identity) → PReLU → dense output (3, MSE): the slope sees both signs. */
    private static ComputationGraphConfiguration conf(org.deeplearning4j.nn.conf.layers.Layer prelu, IUpdater u) {
        return new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(11).updater(u).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("fc", new DenseLayer.Builder().nOut(WIDTH).activation(Activation.IDENTITY).build(), "in")
                .addLayer("prelu", prelu, "fc")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "prelu")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(N_IN))
                .build();
    }

    private static ComputationGraph net(org.deeplearning4j.nn.conf.layers.Layer prelu, IUpdater u) {
        ComputationGraph g = new ComputationGraph(conf(prelu, u));
        g.init();
        return g;
    }

    @Test
    void forwardIsIdentityOnPositivesAndSlopeOnNegatives() {
        Prelu conf = new Prelu.Builder().nIn(3).shared(false).build();
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in").addLayer("p", conf, "in").setOutputs("p")
                .setInputTypes(InputType.feedForward(3)).build());
        g.init();
        INDArray a = g.getLayer("p").getParam(Prelu.SLOPE_KEY);
        assertArrayEquals(new long[] {1, 3}, a.shape());
        assertArrayEquals(new double[] {0.25, 0.25, 0.25}, a.toDoubleVector(), 0.0, "PyTorch's initial slope");
        a.assign(Nd4j.create(new double[][] {{0.1, -2.0, 0.5}}));
        INDArray x = Nd4j.create(new double[][] {{1, -1, -4}, {-3, 2, 0}});
        INDArray y = g.outputSingle(x);
        assertArrayEquals(new double[] {1, 2, -2}, y.getRow(0).toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {-0.3, 2, 0}, y.getRow(1).toDoubleVector(), 1e-15);
    }

    @Test
    void sharedSlopeIsOneParameter() {
        ComputationGraph g = net(new Prelu.Builder().build(), new NoOp());
        assertEquals(1, g.getLayer("prelu").numParams());
        Prelu inferred = (Prelu) ((org.deeplearning4j.nn.conf.graph.LayerVertex) g.getConfiguration().getVertices()
                .get("prelu")).getLayerConf().getLayer();
        assertEquals(WIDTH, inferred.getNIn(), "width inferred from the input type");
        g.getLayer("prelu").getParam(Prelu.SLOPE_KEY).assign(-0.5);
        INDArray x = Nd4j.create(new double[][] {{2, -4, 0, 1, -1}});
        ComputationGraph alone = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in").addLayer("p", new Prelu.Builder().initialSlope(-0.5).build(), "in")
                .setOutputs("p").setInputTypes(InputType.feedForward(WIDTH)).build());
        alone.init();
        assertArrayEquals(new double[] {2, 2, 0, 1, 0.5}, alone.outputSingle(x).toDoubleVector(), 1e-15);
    }

    @Test
    void gradientCheckSharedAndPerFeature() {
        // 70 examples: more than 64 times the slope count, the size where DL4J's own PReLU backward op gives up
        INDArray x = Nd4j.rand(DataType.DOUBLE, 70, N_IN).subi(0.5).muli(4);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 70, 3);
        for (boolean shared : new boolean[] {true, false}) {
            ComputationGraph g = net(new Prelu.Builder().shared(shared).initialSlope(0.3).build(), new NoOp());
            HeadChecks.gradientCheck(g, x, y, "Prelu shared=" + shared);
        }
    }

    @Test
    void slopeTrains() {
        for (boolean shared : new boolean[] {true, false}) {
            ComputationGraph g = net(new Prelu.Builder().shared(shared).build(), new Sgd(0.05));
            INDArray x = Nd4j.rand(DataType.DOUBLE, 128, N_IN).subi(0.5).muli(4);
            INDArray y = x.getColumns(0, 1, 2).dup();
            y.muli(y.lt(0).castTo(DataType.DOUBLE).muli(-1.5).addi(1.0));
            DataSet ds = new DataSet(x, y);
            INDArray a0 = g.getLayer("prelu").getParam(Prelu.SLOPE_KEY).dup();
            double first = g.score(ds);
            for (int i = 0; i < 30; i++) {
                g.fit(ds);
            }
            INDArray a1 = g.getLayer("prelu").getParam(Prelu.SLOPE_KEY);
            assertNotEquals(0.0, a1.sub(a0).amaxNumber().doubleValue(), "slope must move, shared=" + shared);
            assertTrue(g.score(ds) < first, "loss must drop, shared=" + shared);
        }
    }

    @Test
    void stockPReLULayerCannotTrainASharedSlope() {
        // documents why Prelu exists: DL4J 1.0.0-M2.1's PReLULayer with one shared slope fails in backprop
        ComputationGraph g = net(new PReLULayer.Builder().inputShape(WIDTH).sharedAxes(1).build(), new Sgd(0.1));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 128, N_IN);
        DataSet ds = new DataSet(x, Nd4j.rand(DataType.DOUBLE, 128, 3));
        assertThrows(RuntimeException.class, () -> g.fit(ds));
    }

    @Test
    void jsonRoundTripKeepsSharingAndSlope() {
        ComputationGraphConfiguration c = conf(new Prelu.Builder().shared(false).initialSlope(0.1).build(),
                new Sgd(0.1));
        String json = c.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(c, back);
        assertEquals(json, back.toJson());
        assertNotEquals(c, conf(new Prelu.Builder().shared(true).initialSlope(0.1).build(), new Sgd(0.1)));
        assertNotEquals(c, conf(new Prelu.Builder().shared(false).initialSlope(0.2).build(), new Sgd(0.1)));
        ComputationGraph g = new ComputationGraph(back);
        g.init();
        assertArrayEquals(new double[] {0.1, 0.1, 0.1, 0.1, 0.1},
                g.getLayer("prelu").getParam(Prelu.SLOPE_KEY).toDoubleVector(), 0.0);
    }

    @Test
    void rejectsConvolutionalInputAndUnequalWidths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Prelu.Builder().nIn(3).nOut(4).build());
        assertTrue(e.getMessage().contains("nOut (4)"), e.getMessage());
        // in a graph DL4J flattens a CNN input first, as for a dense layer; the layer itself refuses CNN types
        Exception ex = assertThrows(IllegalArgumentException.class,
                () -> new Prelu.Builder().build().getOutputType(0, InputType.convolutional(4, 4, 2)));
        assertTrue(String.valueOf(ex.getMessage()).contains("feed-forward"), ex.getMessage());
    }
}
