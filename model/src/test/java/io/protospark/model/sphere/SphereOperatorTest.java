package io.protospark.model.sphere;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.SettingsException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** METHODS §7 items 19–21: operator golden values and shape, layer range and scale invariance, orthogonality 0. */
class SphereOperatorTest {
    static final double[] THETA = {0, Math.PI / 4, Math.PI / 2, 3 * Math.PI / 4, Math.PI};

    static void golden(SphereOperator op, double k, double... expected) {
        for (int i = 0; i < THETA.length; i++) {
            assertEquals(expected[i], op.value(THETA[i], k), 5e-6, op + " at θ = " + THETA[i]);
        }
    }

    @Test
    void goldenValues() {
        golden(SphereOperator.LINEAR, 0, 1, .5, 0, -.5, -1);
        golden(SphereOperator.COSINE, 0, 1, .7071068, 0, -.7071068, -1);
        golden(SphereOperator.SIGMOID, 0.3, 1, .87327, 0, -.87327, -1);
        golden(SphereOperator.LEARNABLE_SIGMOID, 0.7 + SphereOperator.K_OFFSET, 1, .61543, 0, -.61543, -1);
        assertEquals(1.0107, SphereOperator.kappa(0.3), 5e-5);
    }

    @Test
    void sigmoidEqualsTheSeedsFormula() {
        for (double k : new double[]{0.1, 0.3, 0.75, 2.0}) {
            for (double t = 0; t <= Math.PI; t += 0.1) {
                double e = Math.exp(t / k - Math.PI / (2 * k));
                double seed = SphereOperator.kappa(k) * (1 - e) / (1 + e);
                assertEquals(seed, SphereOperator.SIGMOID.value(t, k), 1e-12, "k " + k + " θ " + t);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SphereOperator.class)
    void oddAboutHalfPiAndDecreasing(SphereOperator op) {
        double prev = 2;
        for (int i = 0; i <= 100; i++) {
            double t = Math.PI * i / 100;
            double g = op.value(t, 0.3);
            assertEquals(-g, op.value(Math.PI - t, 0.3), 1e-12, op + " odd symmetry at " + t);
            assertTrue(g < prev, op + " not decreasing at " + t);
            assertTrue(g >= -1 - 1e-12 && g <= 1 + 1e-12, op + " out of range: " + g);
            prev = g;
        }
    }

    static ComputationGraph conv(SphereOperator op) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(3)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(7, 7, 3))
                .addLayer("sc", new SphereConv.Builder(3, 3).padding(1, 1).nOut(8).operator(op).build(), "in")
                .setOutputs("sc").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    @ParameterizedTest
    @EnumSource(SphereOperator.class)
    void outputsInRangeAndInvariantToPositiveScaling(SphereOperator op) {
        ComputationGraph net = conv(op);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 7, 7).muli(3);
        INDArray y = net.outputSingle(x).dup();
        assertTrue(y.maxNumber().doubleValue() <= 1.0 && y.minNumber().doubleValue() >= -1.0, op + " range");
        assertTrue(y.maxNumber().doubleValue() > 0.3 && y.minNumber().doubleValue() < -0.3, op + " uses the range");
        // scaling the whole input scales every window; scaling a filter scales its channel's dot products
        assertTrue(y.equalsWithEps(net.outputSingle(x.mul(25.0)), 1e-4), op + " input scale");
        net.getLayer("sc").getParam("W").muli(7.0);
        assertTrue(y.equalsWithEps(net.outputSingle(x), 1e-4), op + " filter scale");
    }

    @Test
    void cosineOutputIsTheWindowCosine() {
        ComputationGraph net = conv(SphereOperator.COSINE);
        INDArray x = Nd4j.randn(DataType.FLOAT, 1, 3, 7, 7);
        INDArray y = net.outputSingle(x);
        INDArray w = net.getLayer("sc").getParam("W");
        // output (filter 5, row 0, col 3): window rows -1..1 (row -1 is zero padding), cols 2..4
        double dot = 0, xx = 0, ww = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    int r = i - 1, col = 2 + j;
                    double xv = r < 0 ? 0 : x.getDouble(0, c, r, col);
                    double wv = w.getDouble(5, c, i, j);
                    dot += xv * wv;
                    xx += xv * xv;
                    ww += wv * wv;
                }
            }
        }
        double expected = dot / Math.sqrt(xx + 1e-4) / Math.sqrt(ww + 1e-4);
        assertEquals(expected, y.getDouble(0, 5, 0, 3), 1e-5);
    }

    @Test
    void orthogonalityPenaltyIsZeroForOrthonormalFilters() {
        OrthogonalityPenalty p = new OrthogonalityPenalty(2e-4, 3);
        INDArray q = Nd4j.create(new double[][]{{0.6, 0.8, 0, 0}, {-0.8, 0.6, 0, 0}, {0, 0, 0, 1}});
        assertEquals(0.0, p.score(q, 0, 0), 1e-15);
        INDArray g = Nd4j.zeros(1, 12);
        p.apply(q, g, 0.1, 0, 0);
        assertEquals(0.0, g.norm2Number().doubleValue(), 1e-15);
        assertTrue(p.score(q.mul(2), 0, 0) > 1e-4, "non-orthonormal filters must be penalised");
    }

    static Config conf(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.defaultReference()); // model/src/main/resources/reference.conf
    }

    @Test
    void settingsFromTheReferenceConfig() {
        assertEquals(SphereSettings.defaults(), SphereSettings.from(conf("")));
        assertEquals(SphereOperator.LEARNABLE_SIGMOID,
                SphereSettings.from(conf("protospark.model.sphere.operator = learnable-sigmoid")).operator());
    }

    @Test
    void settingsRefusals() {
        SettingsException e = assertThrows(SettingsException.class,
                () -> SphereSettings.from(conf("protospark.model.sphere.operator = tanh")));
        assertEquals("protospark.model.sphere.operator", e.key());
        assertTrue(e.getMessage().contains("tanh") && e.getMessage().contains("learnable-sigmoid"), e.getMessage());
        e = assertThrows(SettingsException.class,
                () -> SphereSettings.from(conf("protospark.model.sphere.sigmoid-k = 0")));
        assertEquals("protospark.model.sphere.sigmoid-k", e.key());
        e = assertThrows(SettingsException.class,
                () -> SphereSettings.from(conf("protospark.model.sphere.orthogonality-lambda = -1")));
        assertEquals("protospark.model.sphere.orthogonality-lambda", e.key());
    }
}
