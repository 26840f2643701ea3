package io.protospark.model.sphere;

import io.protospark.model.DoublePrecision;
import io.protospark.model.head.NormalizedDense;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SphereConv / SphereDense with a NormalizedDense classifier inside a ComputationGraph: gradients, range, invariances, JSON. */
class SphereLayersTest {

    @BeforeAll
    static void useDouble() {
        DoublePrecision.use();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.restore();
    }

    /** input 2×5×5 → SphereConv 3×3 stride 2 pad 1 (4 filters) → SphereDense(3) → WN dense(3) → softmax CE. */
    static ComputationGraphConfiguration smallNet(SphereOperator op, double lambda, double globalL2) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(42).updater(new NoOp()).weightInit(WeightInit.XAVIER);
        if (globalL2 > 0) {
            b.l2(globalL2);
        }
        return b.graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(5, 5, 2))
                .addLayer("sc", new SphereConv.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(4).operator(op)
                        .sigmoidK(0.3).orthogonalityLambda(lambda).build(), "in")
                .addLayer("sd", new SphereDense(0, 3, op, 0.3, 0.7, lambda), "sc")
                .addLayer("wn", new NormalizedDense.Builder().nOut(3).build(), "sd")
                .addLayer("out", new org.deeplearning4j.nn.conf.layers.LossLayer.Builder(
                        LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build(), "wn")
                .setOutputs("out")
                .build();
    }

    static INDArray labels(int n, int k) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, k);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % k, 1.0);
        }
        return y;
    }

    /** Equal JSON texts; on a difference the message shows the first differing line. */
    static void assertJsonEquals(String expected, String actual) {
        String[] a = expected.split("\n");
        String[] b = actual.split("\n");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            assertEquals(a[i], b[i], "JSON differs at line " + (i + 1));
        }
        assertEquals(a.length, b.length, "JSON line count");
    }

    @ParameterizedTest
    @EnumSource(SphereOperator.class)
    void gradientsMatchFiniteDifferences(SphereOperator op) {
        ComputationGraph net = new ComputationGraph(smallNet(op, 0.05, 0.0));
        net.init();
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5).subi(0.5);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{labels(3, 3)})
                .epsilon(1e-6).maxRelError(1e-4).minAbsoluteError(1e-8));
        assertTrue(ok, op + ": gradient check failed");
    }

    @Test
    void dl4jSameDiffGradientFactorIsMeasured() {
        // DL4J 1.0.0-M2.1 doubles SameDiff layer gradients; the layers divide by the measured factor. If a DL4J
        // upgrade changes the factor, the gradient checks above still hold, and this records the new value.
        assertEquals(2.0, SameDiffGradientScale.factor(DataType.DOUBLE), 1e-12);
        assertEquals(2.0, SameDiffGradientScale.factor(DataType.FLOAT), 1e-6);
    }

    @Test
    void orthogonalityPenaltyIsInTheScoreAndGlobalL2IsNot() {
        ComputationGraph net = new ComputationGraph(smallNet(SphereOperator.COSINE, 0.05, 0.01));
        net.init();
        var sc = (SphereConv) net.getLayer("sc").conf().getLayer();
        List<Regularization> regs = sc.getRegularization();
        assertEquals(1, regs.size(), "only the orthogonality penalty on SphereConv W: " + regs);
        assertInstanceOf(OrthogonalityPenalty.class, regs.get(0));
        var wn = (NormalizedDense) net.getLayer("wn").conf().getLayer();
        assertTrue(wn.getRegularization().stream().anyMatch(r -> r instanceof L2Regularization),
                "the WN classifier keeps the global L2: " + wn.getRegularization());
        INDArray w = net.getLayer("sc").getParam("W");
        INDArray rows = w.reshape(4, 18);
        INDArray g = rows.mmul(rows.transpose()).subi(Nd4j.eye(4));
        double expected = 0.5 * 0.05 * g.mul(g).sumNumber().doubleValue();
        assertEquals(expected, net.getLayer("sc").calcRegularizationScore(true), 1e-12);
    }

    @Test
    void jsonRoundTripKeepsLayersAndOutputs() {
        ComputationGraphConfiguration conf = smallNet(SphereOperator.LEARNABLE_SIGMOID, 2e-4, 1e-3);
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertJsonEquals(json, back.toJson());
        SphereConv sc = (SphereConv) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("sc"))
                .getLayerConf().getLayer();
        assertEquals(SphereOperator.LEARNABLE_SIGMOID, sc.getOperator());
        assertEquals(List.of(new OrthogonalityPenalty(2e-4, 4)), sc.getRegularization());
        ComputationGraph a = new ComputationGraph(conf);
        a.init();
        ComputationGraph b = new ComputationGraph(back);
        b.init(a.params().dup(), false);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 5, 5);
        assertEquals(a.outputSingle(x), b.outputSingle(x));
        assertEquals(a.params().length(), b.params().length());
        Map<String, INDArray> p = b.getLayer("sc").paramTable();
        assertTrue(p.containsKey("k"), "learnable k is a parameter: " + p.keySet());
    }
}
