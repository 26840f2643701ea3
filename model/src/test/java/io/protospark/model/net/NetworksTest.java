package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.energy.EnergyRegularization;
import io.protospark.model.fast.FastLayers;
import io.protospark.model.head.Decision;
import io.protospark.model.head.NormalizedDense;
import io.protospark.model.loss.LongTailDotRegressionLoss;
import io.protospark.model.loss.NirvanaOpenSetLoss;
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
    void longTailLossPutsABatchNormOnTheFeatureAndTrainsOnMixedLabels() {
        for (String fast : List.of("false", "true")) {
            ModelSettings s = settings("model.head.loss=long-tail-dot-regression", "model.head.prototypes=estimated",
                    "model.embedding-dim=6", "model.fast-layers=" + fast);
            assertEquals(Decision.COSINE, s.head().decision());
            assertEquals(Networks.FEATURE_BN, Networks.feature(s));
            ComputationGraph net = Networks.build(s, Prototypes.build(s));
            assertInstanceOf(LongTailDotRegressionLoss.class,
                    ((org.deeplearning4j.nn.conf.layers.LossLayer) layer(net.getConfiguration(), Networks.LOSS))
                            .getLossFn());
            assertEquals(List.of(Networks.EMBEDDING),
                    net.getConfiguration().getVertexInputs().get(Networks.FEATURE_BN));
            DataSet b = batch(20);
            // mixup rows: 0.7 of the example's class and 0.3 of the next example's
            INDArray mixed = b.getLabels().mul(0.7f).addi(Nd4j.vstack(b.getLabels().get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 20)), b.getLabels().getRow(0, true)).mul(0.3f));
            DataSet m = new DataSet(b.getFeatures(), mixed);
            double before = net.score(m, false);
            for (int i = 0; i < 15; i++) {
                net.fit(m);
            }
            double after = net.score(m, false);
            assertTrue(Double.isFinite(after) && after < before, fast + ": " + before + " -> " + after);
            // the prediction feature is the batch-normalised one, what the loss layer passes through
            INDArray f = net.outputSingle(false, b.getFeatures());
            assertEquals(0.0, f.sub(net.feedForward(b.getFeatures(), false).get(Networks.FEATURE_BN))
                    .amaxNumber().doubleValue(), 0.0);
        }
    }

    @Test
    void openSetLossTakesItsMarginFromTheConfigAndTrainsWithOutlierRows() {
        ModelSettings s = settings("model.head.loss=nirvana-open-set", "model.head.prototypes=dsc-centres",
                "model.head.radius=5", "model.embedding-dim=9", "model.head.open-set.margin=3");
        assertEquals(Decision.EUCLIDEAN, s.head().decision());
        ComputationGraph net = Networks.build(s, Prototypes.build(s));
        var loss = (NirvanaOpenSetLoss) ((org.deeplearning4j.nn.conf.layers.LossLayer)
                layer(net.getConfiguration(), Networks.LOSS)).getLossFn();
        assertEquals(3.0, loss.margin());
        // 12 known examples and 8 outliers (all-zero label rows), as the trainer appends them
        DataSet known = batch(12);
        DataSet outliers = batch(8);
        DataSet b = new DataSet(Nd4j.concat(0, known.getFeatures(), outliers.getFeatures().mul(0.2f)),
                Nd4j.concat(0, known.getLabels(), Nd4j.zeros(DataType.FLOAT, 8, 10)));
        var terms = loss.terms(b.getLabels(), net.outputSingle(false, b.getFeatures()));
        assertEquals(12, terms.known());
        assertEquals(8, terms.outliers());
        double before = net.score(b, false);
        for (int i = 0; i < 15; i++) {
            net.fit(b);
        }
        assertTrue(net.score(b, false) < before);
        var e = assertThrows(SettingsException.class, () -> settings("model.head.open-set.margin=-1"));
        assertEquals("protospark.model.head.open-set.margin", e.key());
    }

    @Test
    void logEpsilonPutsTheFlooredCrossEntropyOnEveryCrossEntropyHeadAndIsRefusedElsewhere() {
        for (String kind : List.of("learned", "fixed", "normalized")) {
            ModelSettings s = settings("model.head.kind=" + kind, "model.head.log-epsilon=1e-4");
            var found = new java.util.ArrayList<org.nd4j.linalg.lossfunctions.ILossFunction>();
            for (var v : Networks.configuration(s, Prototypes.build(s)).getVertices().values()) {
                if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv) {
                    if (lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseOutputLayer o) {
                        found.add(o.getLossFn());
                    } else if (lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.LossLayer o) {
                        found.add(o.getLossFn());
                    }
                }
            }
            assertEquals(List.of(new io.protospark.model.loss.EpsilonCrossEntropyLoss(1e-4)), found, kind);
        }
        var e = assertThrows(SettingsException.class, () -> settings("model.head.loss=nirvana-mse",
                "model.head.prototypes=dsc-centres", "model.head.log-epsilon=1e-4"));
        assertEquals("protospark.model.head.log-epsilon", e.key());
    }

    @Test
    void revisedNetworkMapsTheFlattenedConvFeatureStraightToD() {
        ModelSettings s = settings("model.backbone=iresnet50", "model.input.height=112", "model.input.width=112",
                "model.input.channels=3", "model.dam.revised=true", "model.embedding-dim=30", "model.classes=20",
                "model.head.prototypes=dsc-centres", "model.head.radius=10", "model.head.loss=nirvana-mse");
        assertEquals(Networks.REVISED, Networks.feature(s));
        ComputationGraphConfiguration conf = Networks.configuration(s, Prototypes.build(s));
        for (String gone : List.of("fc", "features_bn", Networks.EMBEDDING)) {
            assertTrue(!conf.getVertices().containsKey(gone), gone + " should be removed");
        }
        assertEquals(List.of("out_bn"), conf.getVertexInputs().get(Networks.REVISED));
        var linear = (org.deeplearning4j.nn.conf.layers.DenseLayer) layer(conf, Networks.REVISED);
        assertEquals(512L * 7 * 7, linear.getNIn());
        assertEquals(30L, linear.getNOut());
        assertTrue(linear.hasBias());
        assertEquals(List.of(Networks.REVISED), conf.getVertexInputs().get(Networks.LOSS));

        var notFace = assertThrows(SettingsException.class, () -> settings("model.backbone=resnet20",
                "model.input.channels=3", "model.input.height=32", "model.input.width=32", "model.dam.revised=true"));
        assertEquals("protospark.model.dam.revised", notFace.key());
        assertTrue(notFace.getMessage().contains("iresnet50"), notFace.getMessage());
        var withBlocks = assertThrows(SettingsException.class, () -> settings("model.backbone=iresnet50",
                "model.input.height=112", "model.input.width=112", "model.dam.revised=true", "model.dam.blocks=1"));
        assertEquals("protospark.model.dam.revised", withBlocks.key());
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
