package io.protospark.model.backbone;

import io.protospark.model.energy.EnergyRegularizers;
import io.protospark.model.energy.EnergySettings;
import io.protospark.model.energy.ProjectionKind;
import io.protospark.model.sphere.OrthogonalityPenalty;
import io.protospark.model.sphere.SphereConv;
import io.protospark.model.sphere.SphereOperator;
import io.protospark.model.sphere.SphereSettings;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SphereNet-9 and SphereResNet-32 from the registry: structure, settings, JSON, training with a WN-softmax head. */
class SphereNetsTest {
    static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(2).weightInit(WeightInit.RELU).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).l2(5e-4);
    }

    static SphereConv sphere(ComputationGraphConfiguration c, String name) {
        return (SphereConv) ((LayerVertex) c.getVertices().get(name)).getLayerConf().getLayer();
    }

    @Test
    void sphereNet9TakesTheOperatorAndTrainsWithAWeightNormSoftmax() {
        SphereSettings s = SphereSettings.defaults().withOperator(SphereOperator.LEARNABLE_SIGMOID);
        ComputationGraphConfiguration.GraphBuilder g = Backbones.graph("spherenet9", 32, 32, 3, 16, base(), s);
        String out = Backbones.addWeightNormSoftmax(g, Backbones.EMBEDDING, "score", 10);
        ComputationGraphConfiguration conf = g.setOutputs(out).build();
        assertEquals(SphereOperator.LEARNABLE_SIGMOID, sphere(conf, "conv9").getOperator());
        assertTrue(((LayerVertex) conf.getVertices().get("score")).getLayerConf().getLayer()
                instanceof io.protospark.model.head.NormalizedDense, "the weight-normalised head is NormalizedDense");
        assertEquals(List.of(new OrthogonalityPenalty(2e-4, 256)), sphere(conf, "conv9").getRegularization(),
                "orthogonality penalty only: the global l2 does not reach SphereConv");
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph net = new ComputationGraph(back);
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 2, 10);
        y.putScalar(0, 3, 1.0);
        y.putScalar(1, 7, 1.0);
        INDArray before = net.params().dup();
        net.fit(new DataSet(x, y));
        assertTrue(Double.isFinite(net.score()), "score " + net.score());
        assertNotEquals(before, net.params());
        INDArray emb = net.feedForward(x, false).get(Backbones.EMBEDDING);
        assertArrayEquals(new long[]{2, 16}, emb.shape());
        assertTrue(emb.amaxNumber().doubleValue() <= 1.0, "fc6 is a cosine SphereConv");
    }

    @Test
    void sphereResNet32Structure() {
        SphereSettings s = SphereSettings.defaults().withOperator(SphereOperator.LINEAR);
        ComputationGraphConfiguration conf = Backbones.build("sphereresnet32", 16, 16, 3, 384, base(), s);
        long sphereConvs = conf.getVertices().values().stream().filter(v -> v instanceof LayerVertex lv
                && lv.getLayerConf().getLayer() instanceof SphereConv).count();
        assertEquals(31, sphereConvs, "root + 3 stages x 5 units x 2");
        assertEquals(384, sphere(conf, "s3u5_conv2").getNOut());
        assertEquals(SphereOperator.LINEAR, sphere(conf, "s2u1_conv1").getOperator());
        assertTrue(conf.getVertices().containsKey("s2u1_sc_conv") && !conf.getVertices().containsKey("s1u1_sc_conv"),
                "projection shortcuts only where width or stride change");
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray emb = net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, 16, 16));
        assertArrayEquals(new long[]{1, 384}, emb.shape());
    }

    @Test
    void energyAttachesToASphereNet() {
        ComputationGraphConfiguration conf = Backbones.build("spherenet9", 32, 32, 3, 16, base(),
                SphereSettings.defaults());
        var attached = EnergyRegularizers.attach(conf, EnergySettings.from(
                com.typesafe.config.ConfigFactory.parseString("protospark.model.energy { form = \"2\", "
                        + "projection = random }").withFallback(com.typesafe.config.ConfigFactory.defaultReference())));
        assertEquals(10, attached.size(), "nine SphereConvs and the dense fc6");
        assertEquals(ProjectionKind.NONE, attached.get(0).regularization().projection(), "conv1 unprojected");
        assertEquals(ProjectionKind.RANDOM, attached.get(1).regularization().projection());
        assertEquals(2, sphere(conf, "conv2").getRegularization().size(), "orthogonality + energy");
    }
}
