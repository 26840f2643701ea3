package io.protospark.model.net;

import io.protospark.model.backbone.Backbones;
import io.protospark.model.energy.EnergyRegularizers;
import io.protospark.model.fast.FastLayers;
import io.protospark.model.head.Dam;
import io.protospark.model.head.NormalizedDense;
import io.protospark.model.sphere.SphereConv;
import io.protospark.model.loss.EpsilonCrossEntropyLoss;
import io.protospark.model.loss.LongTailDotRegressionLoss;
import io.protospark.model.loss.NirvanaHingeLoss;
import io.protospark.model.loss.NirvanaOpenSetLoss;
import io.protospark.model.loss.NirvanaMseLoss;
import io.protospark.model.loss.NirvanaSoftmaxLoss;
import io.protospark.model.loss.SquaredCosineLoss;
import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the network a {@link ModelSettings} describes, always as a {@link ComputationGraph} with one input
 * {@value #INPUT} (NCHW images; the demo mlp flattens them) and one output: backbone → {@value #EMBEDDING}
 * (d features) → head → loss.
 *
 * <p>Backbones: {@code small-cnn} and {@code mlp} (the demo nets, shaped by {@code conv-channels} and
 * {@code hidden}) or any name of the {@link Backbones} registry (resnet20, resnet18-cifar, iresnet100, …).
 *
 * <p>Heads ({@link HeadKind}) with the cross-entropy loss:
 * <ul>
 *   <li>fixed — Regular Polytope Networks (Pernici et al., TNNLS 2021): a dense layer {@value #HEAD} without bias
 *   whose weight is Pᵀ (P the K×d prototype matrix) and a parameter-free softmax cross-entropy {@link LossLayer}
 *   {@value #LOSS}. Logits are z_k = p_k · f = ‖p_k‖‖f‖ cos θ_k. The head passes gradients to the embedding but its
 *   own update is exactly zero: plain SGD with learning rate 0 and no regularisation (see {@link FixedHead});</li>
 *   <li>learned — an ordinary softmax {@link OutputLayer} {@value #HEAD} with bias;</li>
 *   <li>normalized — RePoNet's learned baseline: a {@link NormalizedDense} layer (logits (w_k/‖w_k‖)·f, no bias)
 *   and the softmax cross-entropy loss layer.</li>
 * </ul>
 * With {@code model.dam.blocks > 0} the Deep Simplex Classifier's dimension augmentation module ({@link Dam}) lifts
 * the backbone's feature to embedding-dim before the head; its output vertex is {@value #DAM}.
 * With a target loss ({@link LossKind#isTarget()}: the Deep Simplex Classifier's Nirvana losses, DL2PA's squared
 * cosine) there is no head layer: the loss layer {@value #LOSS} sits on the embedding and holds the prototype
 * matrix as its targets, and predictions use a {@link DecisionRule} against those targets.
 *
 * <p>The optimizer ({@link OptimizerKind}) is PyTorch's: sgd ({@link SgdMomentum}), adam or adamw. Weight decay
 * (PyTorch's {@code weight_decay}: coupled L2 for sgd and adam, decoupled for adamw) is set on every trainable DL4J
 * layer's weights, biases and batch norm γ/β (less the groups {@code optimizer.no-decay} names) and never on the fixed
 * head.
 */
public final class Networks {
    /** Name of the graph input. */
    public static final String INPUT = Backbones.INPUT;
    /** Vertex name of the embedding layer. */
    public static final String EMBEDDING = Backbones.EMBEDDING;
    /** Layer name of the fixed prototype layer (fixed head) or the learned output layer. */
    public static final String HEAD = "head";
    /** Name of the dimension augmentation module's output (when model.dam.blocks > 0). */
    public static final String DAM = "dam";
    /** Name of the face revised network's linear map (when model.dam.revised). */
    public static final String REVISED = "revised";
    /** Name of the BatchNorm DL2PA's long-tail loss puts on the feature before it (loss long-tail-dot-regression). */
    public static final String FEATURE_BN = "feature_bn";
    /** Layer name of the parameter-free loss layer (fixed head and target losses). */
    public static final String LOSS = "loss";

    private Networks() {
    }

    /**
     * Builds and initialises the network; {@code prototypes} (K×d as configured) are written into the fixed head or
     * become the target loss's targets. They are ignored by a learned head.
     */
    public static ComputationGraph build(ModelSettings s, PrototypeSet prototypes) {
        ComputationGraph net = new ComputationGraph(configuration(s, prototypes));
        net.init();
        if (s.head().kind() == HeadKind.FIXED && s.head().loss() == LossKind.CROSS_ENTROPY) {
            FixedHead.apply(net, prototypes);
        }
        return net;
    }

    /** The network configuration alone (JSON-serialisable, as DL4J Spark broadcasts it). */
    public static ComputationGraphConfiguration configuration(ModelSettings s, PrototypeSet prototypes) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(DataType.FLOAT)
                .updater(updater(s))
                .weightInit(WeightInit.RELU);
        ComputationGraphConfiguration.GraphBuilder g = body(s, base);
        if (s.dam().blocks() > 0) {
            Dam.add(g, EMBEDDING, s.backboneDim(), s.embeddingDim(), s.dam().blocks(), DAM);
        }
        String out = head(g, s, prototypes);
        ComputationGraphConfiguration conf = g.setOutputs(out).build();
        if (s.optimizer().weightDecay() > 0) {
            decay(conf, s);
        }
        // MHE / CoMHE on the layers energy.layers names (all trainable ones by default; the fixed head is skipped)
        EnergyRegularizers.attach(conf, s.energy());
        if (conf.getVertices().get(HEAD) instanceof LayerVertex head && isFixedHead(s)) {
            // the fixed head is no neuron layer to spread: it carries no regulariser of any kind
            ((BaseLayer) head.getLayerConf().getLayer()).setRegularization(new ArrayList<>());
        }
        // the same layers, run as single native (oneDNN) ops; parameters, names and JSON shape unchanged
        ComputationGraphConfiguration built = s.fastLayers() ? FastLayers.convert(conf) : conf;
        decayBatchNorm(built);
        return built;
    }

    /**
     * The vertex whose output the head (or target loss) receives: the d-dimensional feature compared with the
     * prototypes — the revised network's {@value #REVISED} or the DAM's output when there is one, else the backbone's
     * {@value #EMBEDDING}; with DL2PA's long-tail loss, the BatchNorm {@value #FEATURE_BN} on that feature.
     */
    public static String feature(ModelSettings s) {
        return s.head().loss() == LossKind.LONG_TAIL_DOT_REGRESSION ? FEATURE_BN : lifted(s);
    }

    /** The d-dimensional feature before any loss-specific normalisation: revised map, DAM or embedding. */
    private static String lifted(ModelSettings s) {
        if (s.dam().revised()) {
            return REVISED;
        }
        return s.dam().blocks() > 0 ? DAM : EMBEDDING;
    }

    /** The output vertex name of a network built here. */
    public static String output(ComputationGraph net) {
        return net.getConfiguration().getNetworkOutputs().get(0);
    }

    private static ComputationGraphConfiguration.GraphBuilder body(ModelSettings s, NeuralNetConfiguration.Builder base) {
        int h = s.input().height();
        int w = s.input().width();
        int c = s.input().channels();
        String backbone = s.backbone();
        if (ModelSettings.SMALL_CNN.equals(backbone) || ModelSettings.MLP.equals(backbone)) {
            boolean conv = ModelSettings.SMALL_CNN.equals(backbone);
            ComputationGraphConfiguration.GraphBuilder g = base.graphBuilder().addInputs(INPUT)
                    .setInputTypes(InputType.convolutional(h, w, c));
            String last = INPUT;
            if (conv) {
                for (int i = 0; i < s.convChannels().size(); i++) {
                    String block = "conv" + (i + 1);
                    if (s.sphere().smallCnn()) {
                        // SphereNet's operator in place of the convolution (outputs in [-1, 1]), then ReLU
                        g.addLayer(block, new SphereConv.Builder(3, 3).nOut(s.convChannels().get(i))
                                .samePadding(true).settings(s.sphere().conv()).build(), last);
                        g.addLayer("relu" + (i + 1), new ActivationLayer.Builder().activation(Activation.RELU)
                                .build(), block);
                        block = "relu" + (i + 1);
                    } else {
                        g.addLayer(block, new ConvolutionLayer.Builder(3, 3)
                                .nOut(s.convChannels().get(i))
                                .stride(1, 1)
                                .convolutionMode(ConvolutionMode.Same)
                                .activation(Activation.RELU)
                                .build(), last);
                    }
                    g.addLayer("pool" + (i + 1), new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                            .kernelSize(2, 2)
                            .stride(2, 2)
                            .build(), block);
                    last = "pool" + (i + 1);
                }
            }
            for (int i = 0; i < s.hidden().size(); i++) {
                g.addLayer("dense" + (i + 1), new DenseLayer.Builder().nOut(s.hidden().get(i))
                        .activation(Activation.RELU).build(), last);
                last = "dense" + (i + 1);
            }
            g.addLayer(EMBEDDING, new DenseLayer.Builder().nOut(s.backboneDim())
                    .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).build(), last);
            return g;
        }
        ComputationGraphConfiguration.GraphBuilder g = Backbones.graph(backbone, h, w, c, s.backboneDim(), base,
                s.sphere().conv());
        if (s.dam().revised()) {
            // DSC's face "revised network": no 512-d bottleneck, one Linear from the flattened conv feature to D
            Dam.revised(g, Backbones.removeBottleneck(g, backbone), REVISED, s.embeddingDim());
        }
        return g;
    }

    private static String head(ComputationGraphConfiguration.GraphBuilder g, ModelSettings s, PrototypeSet p) {
        if (s.head().loss().isTarget()) {
            if (s.head().loss() == LossKind.LONG_TAIL_DOT_REGRESSION) {
                // DL2PA's long-tail head: f -> BatchNorm1d -> (normalised inside the loss); PyTorch's defaults
                g.addLayer(FEATURE_BN, new BatchNormalization.Builder().nOut(s.embeddingDim()).eps(1e-5).decay(0.9)
                        .build(), lifted(s));
            }
            g.addLayer(LOSS, new LossLayer.Builder(targetLoss(s, p)).activation(Activation.IDENTITY).build(),
                    feature(s));
            return LOSS;
        }
        if (s.head().kind() == HeadKind.FIXED) {
            g.addLayer(HEAD, new DenseLayer.Builder()
                    .nIn(s.embeddingDim()).nOut(s.classes()).hasBias(false)
                    .activation(Activation.IDENTITY)
                    .updater(FixedHead.FROZEN)
                    .regularization(List.of())
                    .build(), feature(s));
            g.addLayer(LOSS, new LossLayer.Builder(crossEntropy(s)).activation(Activation.SOFTMAX).build(), HEAD);
            return LOSS;
        }
        if (s.head().kind() == HeadKind.NORMALIZED) {
            g.addLayer(HEAD, new NormalizedDense.Builder().nIn(s.embeddingDim()).nOut(s.classes())
                    .weightInit(WeightInit.XAVIER).build(), feature(s));
            g.addLayer(LOSS, new LossLayer.Builder(crossEntropy(s)).activation(Activation.SOFTMAX).build(), HEAD);
            return LOSS;
        }
        g.addLayer(HEAD, new OutputLayer.Builder(crossEntropy(s))
                .nOut(s.classes()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), feature(s));
        return HEAD;
    }

    /** Softmax cross-entropy: DL4J's own, or with the seed's floor inside the logarithm ({@code head.log-epsilon}). */
    private static ILossFunction crossEntropy(ModelSettings s) {
        return s.head().logEpsilon() > 0 ? new EpsilonCrossEntropyLoss(s.head().logEpsilon())
                : LossFunctions.LossFunction.MCXENT.getILossFunction();
    }

    private static ILossFunction targetLoss(ModelSettings s, PrototypeSet p) {
        INDArray t = p.toArray(DataType.DOUBLE);
        return switch (s.head().loss()) {
            case NIRVANA_MSE -> new NirvanaMseLoss(t);
            case NIRVANA_HINGE -> new NirvanaHingeLoss(t);
            case NIRVANA_SOFTMAX -> new NirvanaSoftmaxLoss(t);
            case NIRVANA_OPEN_SET -> new NirvanaOpenSetLoss(t, s.head().openSet().margin(), s.head().openSet().ramp());
            case SQUARED_COSINE -> new SquaredCosineLoss(t);
            case LONG_TAIL_DOT_REGRESSION -> new LongTailDotRegressionLoss(t);
            case CROSS_ENTROPY -> throw new IllegalArgumentException("cross-entropy is not a target loss");
        };
    }

    private static boolean isFixedHead(ModelSettings s) {
        return s.head().kind() == HeadKind.FIXED && !s.head().loss().isTarget();
    }

    /**
     * Weight decay on every stock trainable layer except the fixed head (sphere layers carry none, as in SphereNet):
     * on weights always, on biases and on batch norm's γ and β unless {@code optimizer.no-decay} names {@code bias} or
     * {@code bn}. As PyTorch applies {@code weight_decay}: for sgd and adam an L2 term wd·w added to the gradient
     * before the optimizer step ({@link L2Regularization}); for adamw decoupled from the gradient, w −= lr·wd·w with the
     * current (scheduled) rate ({@link WeightDecay} with applyLR, which DL4J adds to the Adam step after the updater:
     * the same w·(1 − lr·wd) − lr·adam as AdamW's decay-then-step, since the step does not depend on w).
     */
    private static void decay(ComputationGraphConfiguration conf, ModelSettings s) {
        boolean bias = !s.optimizer().noDecay().contains("bias");
        boolean bn = !s.optimizer().noDecay().contains("bn");
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (HEAD.equals(e.getKey()) || !(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            if (lv.getLayerConf().getLayer() instanceof BaseLayer layer
                    && (layer.getClass().getName().startsWith("org.deeplearning4j.") || layer instanceof NormalizedDense)
                    && (layer.getRegularization() == null || layer.getRegularization().isEmpty())) {
                if (layer instanceof BatchNormalization) {
                    if (bn) {
                        layer.setRegularization(decayTerm(s));
                    }
                    continue;
                }
                layer.setRegularization(decayTerm(s));
                if (bias) {
                    layer.setRegularizationBias(decayTerm(s));
                }
            }
        }
    }

    private static List<Regularization> decayTerm(ModelSettings s) {
        List<Regularization> r = new ArrayList<>();
        r.add(s.optimizer().kind() == OptimizerKind.ADAMW ? new WeightDecay(s.optimizer().weightDecay(), true)
                : new L2Regularization(s.optimizer().weightDecay()));
        return r;
    }

    /**
     * DL4J's batch norm ignores regularisation: a stock one that carries weight decay becomes a
     * {@link DecayedBatchNormalization} (the fast layers' batch norm honours it itself).
     */
    private static void decayBatchNorm(ComputationGraphConfiguration conf) {
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization bn
                    && bn.getClass() == BatchNormalization.class && bn.getRegularization() != null
                    && !bn.getRegularization().isEmpty()) {
                lv.getLayerConf().setLayer(DecayedBatchNormalization.of(bn));
            }
        }
    }

    private static IUpdater updater(ModelSettings s) {
        return switch (s.optimizer().kind()) {
            case SGD -> new SgdMomentum(s.optimizer().learningRate(), s.optimizer().momentum(), s.optimizer().nesterov());
            case ADAM, ADAMW -> new Adam(s.optimizer().learningRate());
        };
    }
}
