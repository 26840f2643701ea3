package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.fast.FastBatchNormalization;
import io.protospark.model.prototype.Prototypes;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optimizers against hand computations of PyTorch's update rules (SGD with momentum, with and without Nesterov,
 * Adam with decoupled weight decay), over three steps whose learning rate changes at every step; the weight-decay
 * groups; the JSON and Java round trips the Spark broadcast relies on; the optimizer keys' refusals.
 */
class OptimizerTest {
    private static final double WD = 0.05;
    /** Per-iteration rates 0.1, 0.05, 0.025: a step schedule with milestones at iterations 1 and 2. */
    private static final IterationSchedule HALVING = new IterationSchedule(LearningRateSchedule.Kind.STEP, 0.1,
            List.of(1, 2), 0.5, 0, 3, 0);

    private static ModelSettings settings(String... overrides) {
        return ModelSettings.from(Configs.load(null, "test", List.of(overrides)));
    }

    /**
     * dense(4→3, bias) → batch norm → MSE on the batch-norm output, in double precision; every trainable parameter
     * carries {@code decay} (weights, biases, γ and β), or none when null.
     */
    private static ComputationGraph net(IUpdater updater, Regularization decay) {
        List<Regularization> r = decay == null ? List.of() : List.of(decay);
        BatchNormalization bn = new BatchNormalization.Builder().nOut(3).build();
        bn.setRegularization(new java.util.ArrayList<>(r));
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(updater).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.TANH)
                        .regularization(new java.util.ArrayList<>(r)).regularizationBias(new java.util.ArrayList<>(r))
                        .build(), "in")
                .addLayer("bn", DecayedBatchNormalization.of(bn), "dense")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "bn")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        for (org.deeplearning4j.nn.api.Layer l : g.getLayers()) {
            for (String p : l.paramTable().keySet()) {
                IUpdater u = l.conf().getLayer().getUpdaterByParam(p);
                if (u.hasLearningRate()) {
                    u.setLrAndSchedule(0.1, HALVING);
                }
            }
        }
        return g;
    }

    private static DataSet data() {
        Nd4j.getRandom().setSeed(9);
        return new DataSet(Nd4j.rand(DataType.DOUBLE, 6, 4).subi(0.5), Nd4j.rand(DataType.DOUBLE, 6, 3));
    }

    /** The trained parameters (not batch norm's running statistics), keyed layer_param. */
    private static Map<String, INDArray> trained(ComputationGraph g) {
        Map<String, INDArray> out = new HashMap<>();
        for (String k : List.of("dense_W", "dense_b", "bn_gamma", "bn_beta")) {
            out.put(k, g.getParam(k).dup());
        }
        return out;
    }

    /**
     * The gradient of the loss (no decay) at the current parameters, per trained parameter, as the updater receives
     * it: the backward pass sums the examples' gradients and DL4J's updater divides them by the minibatch size before
     * the decay and the optimizer step.
     */
    private static Map<String, INDArray> gradient(ComputationGraph g, DataSet d) {
        g.setInputs(d.getFeatures());
        g.setLabels(d.getLabels());
        g.computeGradientAndScore();
        Map<String, INDArray> out = new HashMap<>();
        for (String k : List.of("dense_W", "dense_b", "bn_gamma", "bn_beta")) {
            INDArray grad = g.gradient().getGradientFor(k).dup();
            out.put(k, grad.divi(d.numExamples()));
        }
        return out;
    }

    private interface Rule {
        /** The parameter after one step from w with raw gradient g at rate lr, t = 1, 2, 3; may keep state per key. */
        INDArray step(String key, INDArray w, INDArray g, double lr, int t);
    }

    /** Trains three steps and compares every trained parameter with {@code rule} applied to the same gradients. */
    private static void matchesByHand(ComputationGraph net, Rule rule, double tolerance) {
        DataSet d = data();
        double[] lrs = {0.1, 0.05, 0.025};
        for (int t = 1; t <= 3; t++) {
            Map<String, INDArray> before = trained(net);
            Map<String, INDArray> grad = gradient(net, d);
            net.fit(d);
            Map<String, INDArray> after = trained(net);
            for (String k : before.keySet()) {
                INDArray expected = rule.step(k, before.get(k), grad.get(k), lrs[t - 1], t);
                double err = expected.sub(after.get(k)).amaxNumber().doubleValue();
                assertTrue(err < tolerance, "step " + t + " " + k + ": off by " + err + "\nexpected " + expected
                        + "\nfound " + after.get(k));
            }
        }
        assertEquals(3, net.getConfiguration().getIterationCount());
    }

    private static Rule pytorchSgd(double mu, boolean nesterov, double wd) {
        Map<String, INDArray> buf = new HashMap<>();
        return (k, w, g, lr, t) -> {
            INDArray d = g.add(w.mul(wd));                       // weight_decay: d_p = g + wd·w
            INDArray b = buf.containsKey(k) ? buf.get(k).mul(mu).addi(d) : d.dup();  // first step: buf = d_p
            buf.put(k, b);
            INDArray dir = nesterov ? d.add(b.mul(mu)) : b;
            return w.sub(dir.mul(lr));
        };
    }

    @Test
    void sgdMomentumIsPyTorchsWithARateChangingEveryStep() {
        matchesByHand(net(new SgdMomentum(0.1, 0.9, false), null), pytorchSgd(0.9, false, 0), 1e-12);
    }

    @Test
    void sgdNesterovIsPyTorchs() {
        matchesByHand(net(new SgdMomentum(0.1, 0.9, true), null), pytorchSgd(0.9, true, 0), 1e-12);
    }

    @Test
    void sgdWeightDecayIsAddedToTheGradientOfEveryParameter() {
        matchesByHand(net(new SgdMomentum(0.1, 0.9, false), new L2Regularization(WD)), pytorchSgd(0.9, false, WD),
                1e-12);
        matchesByHand(net(new SgdMomentum(0.1, 0.9, true), new L2Regularization(WD)), pytorchSgd(0.9, true, WD),
                1e-12);
    }

    /**
     * AdamW as PyTorch computes it (p ← p·(1 − lr·wd), then the Adam step with bias-corrected moments), with ε added
     * to √v̂ (PyTorch) or, as DL4J's Adam does, to √v with the bias corrections folded into the step size.
     */
    private static Rule adamw(boolean epsOnCorrectedV) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        Map<String, INDArray[]> state = new HashMap<>();
        return (k, w, g, lr, t) -> {
            INDArray[] mv = state.computeIfAbsent(k, x -> new INDArray[] {w.mul(0), w.mul(0)});
            mv[0] = mv[0].mul(b1).addi(g.mul(1 - b1));
            mv[1] = mv[1].mul(b2).addi(g.mul(g).muli(1 - b2));
            INDArray decayed = w.mul(1 - lr * WD);
            INDArray step = epsOnCorrectedV
                    ? mv[0].div(1 - Math.pow(b1, t)).divi(org.nd4j.linalg.ops.transforms.Transforms.sqrt(
                            mv[1].div(1 - Math.pow(b2, t))).addi(eps)).muli(lr)
                    : mv[0].div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(mv[1]).addi(eps))
                            .muli(lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)));
            return decayed.sub(step);
        };
    }

    @Test
    void adamwDecaysDecoupledFromTheAdamStep() {
        // the decoupled decay is exact; the Adam step is DL4J's (ε beside √v), as for adam
        matchesByHand(net(new Adam(0.1), new WeightDecay(WD, true)), adamw(false), 1e-12);
        // against PyTorch's ε placement: equal up to about lr·ε/√v, which is large only for a gradient near 0 (here the
        // dense bias ahead of batch norm, whose gradient is ~1e-10: 4e-4 apart)
        matchesByHand(net(new Adam(0.1), new WeightDecay(WD, true)), adamw(true), 1e-3);
    }

    @Test
    void noDecayKeepsBatchNormAndBiasesFreeOfWeightDecay() {
        String[] resnet = {"model.backbone=resnet20", "model.input.height=32", "model.input.width=32",
                "model.input.channels=3", "model.optimizer.name=sgd", "model.optimizer.weight-decay=5e-4"};
        ComputationGraphConfiguration all = Networks.configuration(settings(resnet), null);
        int bns = 0;
        for (var v : all.getVertices().entrySet()) {
            if (!(v.getValue() instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof BaseLayer l)
                    || l.initializer().numParams(lv.getLayerConf()) == 0) {
                continue;
            }
            if (l instanceof BatchNormalization) {
                bns++;
                assertInstanceOf(DecayedBatchNormalization.class, l, v.getKey());
                assertEquals(List.of(new L2Regularization(5e-4)), l.getRegularizationByParam("gamma"));
                assertEquals(List.of(new L2Regularization(5e-4)), l.getRegularizationByParam("beta"));
                assertNull(l.getRegularizationByParam("mean"));
                assertNull(l.getRegularizationByParam("var"));
            } else if (!Networks.HEAD.equals(v.getKey())) {
                assertEquals(List.of(new L2Regularization(5e-4)), l.getRegularizationByParam("W"), v.getKey());
                if (l instanceof DenseLayer d && d.hasBias()) {
                    assertEquals(List.of(new L2Regularization(5e-4)), l.getRegularizationByParam("b"), v.getKey());
                }
            }
        }
        assertTrue(bns > 5, "resnet20 has batch norm layers");

        ComputationGraphConfiguration none = Networks.configuration(settings(concat(resnet,
                "model.optimizer.no-decay=[bn, bias]")), null);
        for (var v : none.getVertices().entrySet()) {
            if (v.getValue() instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer l) {
                if (l instanceof BatchNormalization) {
                    assertEquals(BatchNormalization.class, l.getClass(), "stock batch norm when it is not decayed");
                    assertTrue(l.getRegularizationByParam("gamma") == null
                            || l.getRegularizationByParam("gamma").isEmpty());
                } else {
                    List<Regularization> b = l.getRegularizationByParam("b");
                    assertTrue(b == null || b.isEmpty(), v.getKey() + " bias decayed: " + b);
                }
            }
        }

        // adamw: decoupled decay (WeightDecay with the scheduled rate); the fast layers' batch norm honours it
        ComputationGraphConfiguration fast = Networks.configuration(settings(concat(resnet,
                "model.optimizer.name=adamw", "model.fast-layers=true", "model.optimizer.no-decay=[bias]")), null);
        boolean sawFastBn = false;
        for (var v : fast.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof FastBatchNormalization f) {
                sawFastBn = true;
                assertEquals(List.of(new WeightDecay(5e-4, true)), f.getRegularizationByParam("gamma"));
            }
        }
        assertTrue(sawFastBn);
    }

    @Test
    void fixedHeadTakesNeitherDecayNorSchedule() {
        ModelSettings s = settings("model.optimizer.name=sgd", "model.optimizer.weight-decay=1e-3");
        ComputationGraph g = Networks.build(s, Prototypes.build(s));
        Layer head = g.getLayer(Networks.HEAD).conf().getLayer();
        assertTrue(head.getRegularizationByParam("W") == null || head.getRegularizationByParam("W").isEmpty());
        assertTrue(FixedHead.isFixed(g));
    }

    @Test
    void sgdAndItsScheduleSurviveJsonAndJavaSerialisation() throws Exception {
        ModelSettings s = settings("model.optimizer.name=sgd", "model.optimizer.nesterov=true",
                "model.optimizer.momentum=0.8", "model.optimizer.schedule=cosine",
                "model.optimizer.schedule-unit=iteration", "model.optimizer.warmup-iterations=7",
                "model.optimizer.min-lr=1e-4", "model.optimizer.learning-rate=0.3");
        ComputationGraphConfiguration conf = Networks.configuration(s, Prototypes.build(s));
        IterationSchedule schedule = s.optimizer().schedule().perIteration(50, 4);
        for (var v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer l
                    && l.getIUpdater() instanceof SgdMomentum u) {
                u.setLrAndSchedule(0.3, schedule);
            }
        }
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, json);
        SgdMomentum u = (SgdMomentum) ((BaseLayer) ((LayerVertex) json.getVertices().get(Networks.EMBEDDING))
                .getLayerConf().getLayer()).getIUpdater();
        assertTrue(u.nesterov());
        assertEquals(0.8, u.momentum());
        assertEquals(schedule, u.schedule());
        assertEquals(schedule.rateAt(123), u.getLearningRate(123, 0));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(conf, in.readObject());
        }
        assertEquals(conf, conf.clone());

        // a network with it trains, and its momentum buffer is the updater state a model file keeps
        ComputationGraph g = new ComputationGraph(json);
        g.init();
        assertEquals(g.numParams() - FixedHead.weights(g).length(), g.getUpdater().getStateViewArray().length());
    }

    @Test
    void optimizerKeysAreCheckedByName() {
        ModelSettings legacy = settings("model.optimizer.name=nesterov");
        assertEquals(OptimizerKind.SGD, legacy.optimizer().kind());
        assertTrue(legacy.optimizer().nesterov());

        var bad = assertThrows(SettingsException.class, () -> settings("model.optimizer.name=sgdm"));
        assertEquals("protospark.model.optimizer.name", bad.key());
        assertTrue(bad.getMessage().contains("sgd"), bad.getMessage());
        var nesterovAdam = assertThrows(SettingsException.class, () -> settings("model.optimizer.name=adam",
                "model.optimizer.nesterov=true"));
        assertEquals("protospark.model.optimizer.nesterov", nesterovAdam.key());
        var group = assertThrows(SettingsException.class, () -> settings("model.optimizer.no-decay=[bn, norm]"));
        assertEquals("protospark.model.optimizer.no-decay", group.key());
        var zero = assertThrows(SettingsException.class, () -> settings("model.optimizer.name=sgd",
                "model.optimizer.nesterov=true", "model.optimizer.momentum=0"));
        assertEquals("protospark.model.optimizer.momentum", zero.key());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
