package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.energy.EnergyRegularization;
import io.protospark.model.fast.FastLayers;
import io.protospark.model.head.NormalizedDense;
import io.protospark.model.prototype.Prototypes;
import io.protospark.model.sphere.SphereConv;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the model keys put into the network: operators, regularisers, fast layers, heads, DAM. */
class NetworksTest {
    private static ModelSettings settings(String... overrides) {
        return ModelSettings.from(Configs.load(null, "test", List.of(overrides)));
    }

    private static Layer layer(ComputationGraphConfiguration conf, String name) {
        return ((LayerVertex) conf.getVertices().get(name)).getLayerConf().getLayer();
    }

    private static DataSet batch(int n) {
        Nd4j.getRandom().setSeed(3);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 10);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        return new DataSet(Nd4j.rand(DataType.FLOAT, n, 1, 28, 28), y);
    }

    @Test
    void sphereSmallCnnUsesSphereConvAndTrains() {
        ModelSettings s = settings("model.sphere.small-cnn=true", "model.sphere.operator=linear");
        ComputationGraph net = Networks.build(s, Prototypes.build(s));
        assertInstanceOf(SphereConv.class, layer(net.getConfiguration(), "conv1"));
        INDArray before = net.params().dup();
        net.fit(batch(8));
        assertNotEquals(before, net.params());
        assertTrue(Double.isFinite(net.score()));
    }

    @Test
    void energyRegularisersGoOnTrainableLayersNeverOnTheFixedHead() {
        ModelSettings s = settings("model.energy.form=2");
        ComputationGraphConfiguration conf = Networks.configuration(s, Prototypes.build(s));
        for (String name : List.of("conv1", "conv2", "dense1", Networks.EMBEDDING)) {
            assertTrue(((BaseLayer) layer(conf, name)).getRegularization().stream()
                    .anyMatch(r -> r instanceof EnergyRegularization), name + " has no energy regulariser");
        }
        BaseLayer head = (BaseLayer) layer(conf, Networks.HEAD);
        assertTrue(head.getRegularization() == null || head.getRegularization().isEmpty(), "fixed head regularised");
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        FixedHead.apply(net, Prototypes.build(s));
        INDArray p = FixedHead.weights(net);
        net.fit(batch(8));
        assertEquals(p, FixedHead.weights(net), "the fixed head moved under the energy regulariser");
    }

    @Test
    void fastLayersSwapConvolutionAndPoolingOnly() {
        ModelSettings s = settings("model.fast-layers=true");
        ComputationGraphConfiguration conf = Networks.configuration(s, Prototypes.build(s));
        assertTrue(FastLayers.isFast(layer(conf, "conv1")));
        assertTrue(FastLayers.isFast(layer(conf, "pool1")));
        ComputationGraph fast = Networks.build(s, Prototypes.build(s));
        ComputationGraph stock = Networks.build(settings(), Prototypes.build(s));
        assertEquals(stock.numParams(), fast.numParams());
        fast.setParams(stock.params());
        INDArray x = batch(4).getFeatures();
        INDArray a = stock.outputSingle(false, x);
        INDArray b = fast.outputSingle(false, x);
        assertTrue(a.equalsWithEps(b, 1e-4), "fast and stock outputs differ:\n" + a + "\n" + b);
    }

    @Test
    void normalizedHeadAndDamAreWhereTheKeysPutThem() {
        ModelSettings n = settings("model.head.kind=normalized", "model.embedding-dim=10");
        assertInstanceOf(NormalizedDense.class, layer(Networks.configuration(n, null), Networks.HEAD));
        ModelSettings d = settings("model.dam.blocks=2", "model.dam.input-dim=2", "model.embedding-dim=20",
                "model.head.prototypes=dsc-centres", "model.head.loss=nirvana-mse", "model.classes=10");
        assertEquals(Networks.DAM, Networks.feature(d));
        ComputationGraph net = Networks.build(d, Prototypes.build(d));
        INDArray f = net.feedForward(batch(3).getFeatures(), false).get(Networks.DAM);
        assertArrayEquals(new long[]{3, 20}, f.shape());
        assertArrayEquals(new long[]{3, 2}, net.feedForward(batch(3).getFeatures(), false)
                .get(Networks.EMBEDDING).shape());
    }

    @Test
    void refusalsNameTheKeyAndWhatWouldFit() {
        var e = assertThrows(SettingsException.class, () -> settings("model.head.kind=learned",
                "model.head.loss=nirvana-mse"));
        assertEquals("protospark.model.head.loss", e.key());
        var e2 = assertThrows(SettingsException.class, () -> settings("model.head.kind=learned",
                "model.head.decision=euclidean"));
        assertEquals("protospark.model.head.decision", e2.key());
        var e4 = assertThrows(SettingsException.class, () -> settings("model.input.mean=[0.5, 0.5]",
                "model.input.std=[0.5, 0.5]"));
        assertEquals("protospark.model.input.mean", e4.key());
        assertTrue(e4.getMessage().contains("1 values (input.channels = 1)"), e4.getMessage());
        var e5 = assertThrows(SettingsException.class, () -> settings("model.input.mean=[0.5]"));
        assertEquals("protospark.model.input.std", e5.key());
        var e6 = assertThrows(SettingsException.class, () -> settings("model.input.mean=[0.5]",
                "model.input.std=[0]"));
        assertTrue(e6.getMessage().contains("standard deviations > 0"), e6.getMessage());
        var e3 = assertThrows(SettingsException.class, () -> settings("model.backbone=resnet50-imagenet"));
        assertTrue(e3.getMessage().contains("resnet50-imagenet"), e3.getMessage());
    }
}
