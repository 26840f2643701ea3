package io.protospark.model.energy;

import io.protospark.model.DoublePrecision;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.SettingsException;
import io.protospark.model.backbone.Backbones;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Energy regularisers attached to graphs: gradients, layouts, roles, JSON, settings and refusals. */
class EnergyRegularizersTest {

    @BeforeAll
    static void useDouble() {
        DoublePrecision.use();
    }

    @AfterAll
    static void restore() {
        DoublePrecision.restore();
    }

    static Config conf(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.defaultReference()); // model/src/main/resources/reference.conf
    }

    static EnergySettings settings(String overrides) {
        return EnergySettings.from(conf(overrides));
    }

    /** in 2×4×4 → conv1 3×3 (5) → conv2 3×3 (6) → dense (7) → out (3) softmax; double precision, NoOp. */
    static ComputationGraphConfiguration tiny() {
        return tiny(new NoOp());
    }

    static ComputationGraphConfiguration tiny(org.nd4j.linalg.learning.config.IUpdater updater) {
        return new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(5).updater(updater)
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(4, 4, 2))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(5)
                        .activation(Activation.TANH).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.TANH).build(),
                        "conv1")
                .addLayer("dense", new DenseLayer.Builder().nOut(7).activation(Activation.TANH).build(), "conv2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build();
    }

    static void gradientCheck(ComputationGraphConfiguration c, String what) {
        ComputationGraph net = new ComputationGraph(c);
        net.init();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 4, 4).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 3);
        y.putScalar(0, 1, 1.0);
        y.putScalar(1, 2, 1.0);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{y})
                .epsilon(1e-6).maxRelError(1e-4).minAbsoluteError(1e-9)), what);
    }

    @Test
    void gradientChecksForEveryFormAndProjection() {
        for (String form : List.of("0", "1", "2", "a0", "a1", "a2")) {
            ComputationGraphConfiguration c = tiny();
            EnergyRegularizers.attach(c, settings("protospark.model.energy { form = \"" + form
                    + "\", classifier-layer = out, hidden-weight = 0.5 }"));
            gradientCheck(c, "form " + form);
        }
    }

    @Test
    void gradientChecksForEveryProjection() {
        for (String projection : List.of("random", "angle-preserving", "adversarial")) {
            ComputationGraphConfiguration c = tiny();
            List<EnergyRegularizers.Attached> a = EnergyRegularizers.attach(c, settings(
                    "protospark.model.energy { form = \"2\", projection = " + projection
                            + ", projection-dim = 4, projections = 3, classifier-layer = out }"));
            assertTrue(a.stream().anyMatch(x -> x.regularization().projection() != ProjectionKind.NONE), projection);
            gradientCheck(c, "projection " + projection);
        }
    }

    @Test
    void rolesFollowTheSeed() {
        ComputationGraphConfiguration c = tiny();
        List<EnergyRegularizers.Attached> a = EnergyRegularizers.attach(c, settings(
                "protospark.model.energy { form = \"2\", projection = random, projection-dim = 4, classifier-layer = out }"));
        assertEquals(List.of("conv1", "conv2", "dense", "out"), a.stream().map(EnergyRegularizers.Attached::layer).toList());
        EnergyRegularization first = a.get(0).regularization();
        assertEquals(ProjectionKind.NONE, first.projection(), "first layer unprojected");
        assertTrue(first.halfSpace());
        assertEquals(ProjectionKind.RANDOM, a.get(1).regularization().projection());
        EnergyRegularization cls = a.get(3).regularization();
        assertEquals(ProjectionKind.NONE, cls.projection(), "classifier unprojected");
        assertTrue(!cls.halfSpace(), "classifier full-space");
        assertEquals(10.0, cls.weight());
        assertEquals(1.0, a.get(1).regularization().weight());
        // a1 has the seed's smaller weights; attaching again replaces instead of stacking
        a = EnergyRegularizers.attach(c, settings("protospark.model.energy { form = a1, classifier-layer = out }"));
        assertEquals(0.1, a.get(0).regularization().weight());
        assertEquals(1.0, a.get(3).regularization().weight());
        DenseLayer dense = (DenseLayer) ((LayerVertex) c.getVertices().get("dense")).getLayerConf().getLayer();
        assertEquals(1, dense.getRegularization().stream().filter(r -> r instanceof EnergyRegularization).count());
        // disabled: removes them
        assertEquals(List.of(), EnergyRegularizers.attach(c, settings("")));
        assertEquals(0, dense.getRegularization().stream().filter(r -> r instanceof EnergyRegularization).count());
    }

    @Test
    void neuronsAreColumnsOfDenseAndOutputChannelsOfConv() {
        ComputationGraphConfiguration c = tiny();
        EnergyRegularizers.attach(c, settings("protospark.model.energy { form = \"1\", half-space = false }"));
        ComputationGraph net = new ComputationGraph(c);
        net.init();
        INDArray dw = net.getLayer("dense").getParam("W"); // [nIn, nOut]
        double expectedDense = HypersphericalEnergy.energy(dw.transpose(), EnergyForm.S1, false);
        assertEquals(expectedDense, net.getLayer("dense").calcRegularizationScore(true), 1e-12);
        INDArray cw = net.getLayer("conv2").getParam("W"); // [nOut, nIn, kH, kW]
        double expectedConv = HypersphericalEnergy.energy(cw.reshape('c', 6, 45), EnergyForm.S1, false);
        assertEquals(expectedConv, net.getLayer("conv2").calcRegularizationScore(true), 1e-12);
    }

    @Test
    void learnedProjectionsMoveTheRightWay() {
        Nd4j.getRandom().setSeed(17);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 6, 10);
        EnergyRegularization ap = EnergyRegularization.learned(ProjectionKind.ANGLE_PRESERVING, EnergyForm.S2, true,
                1, 6, 4, 1, 3L, 1L);
        INDArray p0 = ap.projectionMatrix(10);
        double before = EnergyRegularization.anglePreservingObjective(w, p0);
        INDArray grad = Nd4j.zeros(DataType.DOUBLE, 1, 60);
        for (int i = 0; i < 20; i++) {
            ap.apply(w.transpose().dup('f'), grad, 0.01, i, 0);
        }
        assertTrue(EnergyRegularization.anglePreservingObjective(w, ap.projectionMatrix(10)) < before,
                "angle-preserving P steps lower L_P");
        EnergyRegularization adv = EnergyRegularization.learned(ProjectionKind.ADVERSARIAL, EnergyForm.S2, true,
                1, 6, 4, 10, 3L, 1L);
        INDArray q0 = adv.projectionMatrix(10);
        double e0 = HypersphericalEnergy.energy(w.mmul(q0.transpose()), EnergyForm.S2, false);
        adv.apply(w.transpose().dup('f'), grad, 0.01, 0, 0);
        INDArray q1 = adv.projectionMatrix(10);
        assertTrue(HypersphericalEnergy.energy(w.mmul(q1.transpose()), EnergyForm.S2, false) > e0,
                "adversarial P steps raise the projected energy");
        // no learning rate (NoOp updater): P stays put
        EnergyRegularization still = EnergyRegularization.learned(ProjectionKind.ADVERSARIAL, EnergyForm.S2, true,
                1, 6, 4, 10, 3L, 1L);
        still.apply(w.transpose().dup('f'), grad, Double.NaN, 0, 0);
        assertEquals(q0, still.projectionMatrix(10));
    }

    @Test
    void jsonRoundTripKeepsTheRegularisers() {
        ComputationGraphConfiguration c = tiny();
        EnergyRegularizers.attach(c, settings("protospark.model.energy { form = a0, projection = adversarial, "
                + "projection-dim = 4, classifier-layer = out }"));
        String json = c.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(json, back.toJson());
        assertEquals(c, back);
        Map<String, org.deeplearning4j.nn.conf.layers.Layer> layers = EnergyRegularizers.weightLayers(back);
        var regs = ((ConvolutionLayer) layers.get("conv2")).getRegularization();
        EnergyRegularization r = (EnergyRegularization) regs.stream()
                .filter(x -> x instanceof EnergyRegularization).findFirst().orElseThrow();
        assertEquals(ProjectionKind.ADVERSARIAL, r.projection());
        assertEquals(EnergyForm.A0, r.form());
        assertEquals(4, r.projectionDim());
    }

    private static EnergyRegularization energyOf(ComputationGraphConfiguration c, String layer) {
        var l = EnergyRegularizers.weightLayers(c).get(layer);
        List<org.nd4j.linalg.learning.regularization.Regularization> regs =
                l instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b ? b.getRegularization()
                        : ((org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer) l).getRegularization();
        return (EnergyRegularization) regs.stream().filter(x -> x instanceof EnergyRegularization).findFirst()
                .orElseThrow();
    }

    private static double[] bits(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    private static DataSet tinyBatch() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 4, 4).subi(0.5);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    private static ComputationGraph trainedWithLearnedProjection(String kind, int iterations) {
        ComputationGraphConfiguration c = tiny(new Sgd(0.05));
        EnergyRegularizers.attach(c, settings("protospark.model.energy { form = \"2\", projection = " + kind
                + ", projection-dim = 4, classifier-layer = out }"));
        ComputationGraph net = new ComputationGraph(c);
        net.init();
        for (int i = 0; i < iterations; i++) {
            net.fit(tinyBatch());
        }
        return net;
    }

    @Test
    void learnedProjectionTravelsWithJsonJavaSerialisationCloneAndModelFile() throws Exception {
        for (String kind : List.of("angle-preserving", "adversarial")) {
            ComputationGraph net = trainedWithLearnedProjection(kind, 3);
            EnergyRegularization r = energyOf(net.getConfiguration(), "conv2");
            assertEquals(3, r.projectionIteration(), kind);
            double[] trained = bits(r.projectionMatrix(45));
            EnergyRegularization fresh = EnergyRegularization.learned(r.projection(), EnergyForm.S2, true, 1, 6, 4,
                    1, 0L, 2L); // conv2 is the second weight layer: salt 2, default projection seed 0
            assertTrue(!java.util.Arrays.equals(bits(fresh.projectionMatrix(45)), trained),
                    kind + ": P trained away from its seed initialisation");

            String json = net.getConfiguration().toJson();
            assertTrue(json.contains("projectionState"), "P is in the JSON");
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
            EnergyRegularization rb = energyOf(back, "conv2");
            assertTrue(java.util.Arrays.equals(trained, bits(rb.projectionMatrix(45))), kind + ": JSON keeps P exactly");
            assertEquals(3, rb.projectionIteration());
            assertEquals(json, back.toJson());

            ComputationGraphConfiguration cloned = net.getConfiguration().clone();
            assertTrue(java.util.Arrays.equals(trained, bits(energyOf(cloned, "conv2").projectionMatrix(45))),
                    kind + ": clone keeps P");
            ComputationGraphConfiguration javaCopy = org.apache.commons.lang3.SerializationUtils.clone(
                    net.getConfiguration());
            assertTrue(java.util.Arrays.equals(trained, bits(energyOf(javaCopy, "conv2").projectionMatrix(45))),
                    kind + ": Java serialisation (Spark broadcast) keeps P");

            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            org.deeplearning4j.util.ModelSerializer.writeModel(net, out, true);
            ComputationGraph restored = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(
                    new java.io.ByteArrayInputStream(out.toByteArray()), true);
            EnergyRegularization rr = energyOf(restored.getConfiguration(), "conv2");
            assertTrue(java.util.Arrays.equals(trained, bits(rr.projectionMatrix(45))), kind + ": model file keeps P");
            assertEquals(3, rr.projectionIteration());
        }
    }

    @Test
    void aStoredProjectionOfTheWrongSizeIsRefused() throws Exception {
        ComputationGraph net = trainedWithLearnedProjection("angle-preserving", 1);
        var mapper = new org.nd4j.shade.jackson.databind.ObjectMapper();
        var tree = mapper.readTree(net.getConfiguration().toJson());
        var holder = (org.nd4j.shade.jackson.databind.node.ObjectNode) tree.findParent("projectionState");
        holder.put("projectionState", java.util.Base64.getEncoder().encodeToString(new byte[8 * 10]));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(mapper.writeValueAsString(tree));
        EnergyRegularization r = null;
        for (var v : back.getVertices().values()) {
            if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv
                    && lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b
                    && b.getRegularization() != null) {
                for (var x : b.getRegularization()) {
                    if (x instanceof EnergyRegularization e && e.projection().learnable() && r == null) {
                        r = e;
                    }
                }
            }
        }
        assertTrue(r != null, "a learnable projection in the configuration");
        EnergyRegularization found = r;
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> found.projectionMatrix(45));
        assertTrue(e.getMessage().contains("holds 10 values") && e.getMessage().contains("projectionState"),
                e.getMessage());
    }

    @Test
    void driverCatchesItsProjectionUpAfterAnAveragingRound() {
        // a "worker" trains 3 iterations from the driver's configuration and parameters, as a Spark round does; the
        // driver then takes the averaged parameters and iteration count and advances its own P on them
        ComputationGraphConfiguration c = tiny(new Sgd(0.05));
        EnergyRegularizers.attach(c, settings("protospark.model.energy { form = \"2\", projection = adversarial, "
                + "projection-dim = 4, adversarial-steps = 2, classifier-layer = out }"));
        ComputationGraph driver = new ComputationGraph(c);
        driver.init();
        INDArray p0 = energyOf(driver.getConfiguration(), "conv2").projectionMatrix(45);
        ComputationGraph worker = new ComputationGraph(driver.getConfiguration().clone());
        worker.init(driver.params().dup(), false);
        for (int i = 0; i < 3; i++) {
            worker.fit(tinyBatch());
        }
        assertEquals(p0, energyOf(driver.getConfiguration(), "conv2").projectionMatrix(45),
                "the worker's P steps do not touch the driver's P");
        driver.setParams(worker.params());
        driver.getConfiguration().setIterationCount(worker.getConfiguration().getIterationCount());
        // conv2 and dense are projected; conv1 (first) and out (classifier) are not: 2 layers x 3 iterations x 2
        assertEquals(12, EnergyRegularizers.advanceProjections(driver));
        EnergyRegularization r = energyOf(driver.getConfiguration(), "conv2");
        assertEquals(3, r.projectionIteration());
        assertNotEquals(p0, r.projectionMatrix(45), "the driver's P moved");
        assertEquals(0, EnergyRegularizers.advanceProjections(driver), "already caught up");
        // a network trained by plain fit() has stepped P itself: nothing to catch up
        assertEquals(0, EnergyRegularizers.advanceProjections(worker));
    }

    @Test
    void sphereLayerClonesDoNotShareTheirRegularisers() {
        var dense = new io.protospark.model.sphere.SphereDense(4, 3, io.protospark.model.sphere.SphereOperator.COSINE,
                0.3, 0.3, 0);
        dense.setRegularization(new java.util.ArrayList<>(List.of(EnergyRegularization.learned(
                ProjectionKind.ADVERSARIAL, EnergyForm.S2, false, 1, 3, 2, 1, 0L, 1L))));
        var copy = (io.protospark.model.sphere.SphereDense) dense.clone();
        assertTrue(copy.getRegularization() != dense.getRegularization()
                && copy.getRegularization().get(0) != dense.getRegularization().get(0), "own regulariser objects");
        assertEquals(dense.getRegularization(), copy.getRegularization());
    }

    @Test
    void batchedRandomProjectionsMatchTheEnergyOfEachProjection() {
        Nd4j.getRandom().setSeed(23);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 7, 12);
        for (EnergyForm form : List.of(EnergyForm.S2, EnergyForm.S0, EnergyForm.A1)) {
            for (boolean half : List.of(false, true)) {
                EnergyRegularization r = EnergyRegularization.random(form, half, 1.0, 7, 5, 4, 11L, 3L);
                INDArray all = r.randomProjections(12, 9);
                double energy = 0;
                INDArray grad = Nd4j.zeros(DataType.DOUBLE, 7, 12);
                for (int k = 0; k < 4; k++) {
                    INDArray pk = all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(5 * k, 5 * k + 5),
                            org.nd4j.linalg.indexing.NDArrayIndex.all());
                    HypersphericalEnergy.Result one = HypersphericalEnergy.compute(w.mmul(pk.transpose()), form, half,
                            true);
                    energy += one.energy() / 4;
                    grad.addi(one.gradient().mmul(pk).divi(4));
                }
                String what = form.configName() + (half ? " half-space" : " full-space");
                for (long budget : List.of(EnergyRegularization.GRAM_BUDGET, 2L * 14 * 14, 1L)) {
                    HypersphericalEnergy.Result batched = r.randomProjected(w, 9, true, budget);
                    assertEquals(energy, batched.energy(), 1e-12 * Math.abs(energy), what + ", budget " + budget);
                    assertTrue(grad.equalsWithEps(batched.gradient(), 1e-10), what + ", budget " + budget);
                }
                // through DL4J's entry points: score keeps the gradient and apply reuses it for the same weights
                assertEquals(energy, r.score(w, 9, 0), 1e-12 * Math.abs(energy), what);
                INDArray view = Nd4j.zeros(DataType.DOUBLE, 7, 12);
                r.apply(w, view, 0.1, 9, 0);
                assertTrue(grad.equalsWithEps(view, 1e-10), what + " via score then apply");
                INDArray fresh = Nd4j.zeros(DataType.DOUBLE, 7, 12);
                r.apply(w, fresh, 0.1, 9, 0); // no score before: computed afresh
                assertTrue(grad.equalsWithEps(fresh, 1e-10), what + " via apply alone");
                INDArray moved = w.add(0.01);
                r.score(w, 10, 0); // the first score of iteration 10 keeps the gradient at w
                INDArray other = Nd4j.zeros(DataType.DOUBLE, 7, 12);
                r.apply(moved, other, 0.1, 10, 0); // different weights: the kept gradient is not used
                INDArray atW = r.randomProjected(w, 10, true, EnergyRegularization.GRAM_BUDGET).gradient();
                assertTrue(!atW.equalsWithEps(other, 1e-10), what + ": a stale gradient was reused");
                assertEquals(r.randomProjected(moved, 10, true, EnergyRegularization.GRAM_BUDGET).gradient(), other);
            }
        }
    }

    @Test
    void settingsDefaultsAndRefusals() {
        EnergySettings d = settings("");
        assertTrue(!d.enabled());
        assertEquals(ProjectionKind.NONE, d.projection());
        assertEquals(40, d.projectionDim());
        assertEquals(20, d.projections());
        SettingsException e = assertThrows(SettingsException.class,
                () -> settings("protospark.model.energy.form = s3"));
        assertEquals("protospark.model.energy.form", e.key());
        assertTrue(e.getMessage().contains("s3") && e.getMessage().contains("a2"), e.getMessage());
        e = assertThrows(SettingsException.class, () -> settings("protospark.model.energy.projection = pca"));
        assertEquals("protospark.model.energy.projection", e.key());
        assertTrue(e.getMessage().contains("angle-preserving"), e.getMessage());
        e = assertThrows(SettingsException.class, () -> settings("protospark.model.energy.projection = random"));
        assertTrue(e.getMessage().contains("needs an energy form"), e.getMessage());
        e = assertThrows(SettingsException.class, () -> settings("protospark.model.energy.hidden-weight = -1"));
        assertEquals("protospark.model.energy.hidden-weight", e.key());
        e = assertThrows(SettingsException.class, () -> settings("protospark.model.energy.projections = 0"));
        assertEquals("protospark.model.energy.projections", e.key());
    }

    @Test
    void attachRefusals() {
        SettingsException e = assertThrows(SettingsException.class, () -> EnergyRegularizers.attach(tiny(), settings(
                "protospark.model.energy { form = \"2\", projection = random, projection-dim = 50 }")));
        assertEquals("protospark.model.energy.projection-dim", e.key());
        assertTrue(e.getMessage().contains("conv2") && e.getMessage().contains("45"), e.getMessage());
        e = assertThrows(SettingsException.class, () -> EnergyRegularizers.attach(tiny(), settings(
                "protospark.model.energy { form = \"2\", layers = [conv9] }")));
        assertEquals("protospark.model.energy.layers", e.key());
        assertTrue(e.getMessage().contains("conv9") && e.getMessage().contains("dense"), e.getMessage());
        e = assertThrows(SettingsException.class, () -> EnergyRegularizers.attach(tiny(), settings(
                "protospark.model.energy { form = \"2\", classifier-layer = head }")));
        assertEquals("protospark.model.energy.classifier-layer", e.key());
    }

    @Test
    void regularisedCnn9TrainsAndTheEnergyActs() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        try {
            int batch = 64;
            INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, 32, 32);
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, i % 10, 1.0);
            }
            long[] nanos = new long[2];
            INDArray[] after = new INDArray[2];
            for (int variant = 0; variant < 2; variant++) {
                ComputationGraphConfiguration c = Backbones.graph("cnn9", 32, 32, 3, 64,
                                new NeuralNetConfiguration.Builder().seed(1).weightInit(WeightInit.RELU)
                                        .dataType(DataType.FLOAT).updater(new Sgd(0.1)))
                        .addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                                .activation(Activation.SOFTMAX).build(), Backbones.EMBEDDING)
                        .setOutputs("head").build();
                if (variant == 1) {
                    EnergyRegularizers.attach(c, settings("protospark.model.energy { form = \"2\", "
                            + "projection = random, classifier-layer = head }"));
                }
                ComputationGraph net = new ComputationGraph(c);
                net.init();
                net.fit(new DataSet(x, y)); // warm-up
                long t0 = System.nanoTime();
                net.fit(new DataSet(x, y));
                nanos[variant] = System.nanoTime() - t0;
                assertTrue(Double.isFinite(net.score()), "score " + net.score());
                after[variant] = net.getLayer("conv5").getParam("W").dup();
            }
            System.out.printf("CNN-9 batch 64 step: plain %.0f ms, with RP-CoMHE (d_p 40, n_p 20) %.0f ms%n",
                    nanos[0] / 1e6, nanos[1] / 1e6);
            assertNotEquals(after[0], after[1], "the energy gradient changed the weights");
        } finally {
            Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        }
    }
}
