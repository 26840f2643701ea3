package io.protospark.model.backbone;

import io.protospark.model.sphere.SphereSettings;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registry of the reference backbones. Each builds a {@link ComputationGraphConfiguration} with one input
 * {@value #INPUT} (NCHW, {@code InputType.convolutional(h, w, c)}) and one output vertex {@value #EMBEDDING} that emits
 * d features; there is no classifier and no loss, so the caller adds the fixed or learned head on top of
 * {@value #EMBEDDING}.
 *
 * <p>For the pooled nets (ResNets, classifier32) the natural feature is the global-average-pooled map (512, 2048, 64
 * or 128 wide). When d equals that width the pooled vector itself is the embedding (as in the Deep Simplex
 * Classifier's ResNet-18 and DL2PA's long-tail ResNet-32); otherwise a linear layer maps it to d — without bias, as
 * in the Regular Polytope Networks' {@code fc} (METHODS §1.1), except for the HPN-style ResNet-20/32 whose
 * {@code fc 64 → d} has a bias. CNN-9, LeNet++ and IResNet end in their own feature layer, which is built with d
 * outputs. SphereNet-9 ends in its dense cosine SphereConv fc6 (d outputs, in [−1, 1]); SphereResNet-32 pools 384
 * features. The sphere backbones take {@link SphereSettings} (operator, k, orthogonality λ) through the overloads
 * with a settings argument; energy regularisers are attached afterwards with
 * {@link io.protospark.model.energy.EnergyRegularizers#attach}.
 */
public final class Backbones {
    /** Name of the graph input. */
    public static final String INPUT = "input";
    /** Name of the output vertex that emits the d-dimensional embedding. */
    public static final String EMBEDDING = "embedding";

    /** Builds a backbone's body from the input vertex; returns the name of its last vertex. */
    @FunctionalInterface
    private interface Body {
        String add(GraphDsl n, String in, int d, SphereSettings sphere);
    }

    /**
     * One registry entry.
     *
     * @param pooledWidth width of the pooled feature, or 0 when the body already ends in {@value #EMBEDDING}
     * @param projectionBias whether the pooled → d projection (used when d ≠ pooledWidth) has a bias
     * @param minSize the smallest input height and width the net accepts (its total down-sampling factor)
     * @param bottleneck the nets whose feature is a bottleneck on a flattened convolutional map (see
     *                   {@link #convFeature})
     */
    private record Spec(String description, int pooledWidth, boolean projectionBias, int minSize, Body body,
                        java.util.Optional<Bottleneck> bottleneck) {
        Spec(String description, int pooledWidth, boolean projectionBias, int minSize, Body body) {
            this(description, pooledWidth, projectionBias, minSize, body, java.util.Optional.empty());
        }
    }

    /**
     * A feature computed by a bottleneck on a flattened convolutional map.
     *
     * @param convFeature the vertex of the last convolutional feature map
     * @param vertices    the bottleneck's vertices after it, up to and including {@value #EMBEDDING}
     */
    record Bottleneck(String convFeature, List<String> vertices) {
    }

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        SPECS.put("resnet18-cifar", new Spec("kuangliu CIFAR ResNet-18, 512-d pooled feature", 512, false, 8,
                (n, in, d, sp) -> ResNets.resnet18Cifar(n, in)));
        SPECS.put("resnet50-cifar", new Spec("kuangliu CIFAR ResNet-50, 2048-d pooled feature", 2048, false, 8,
                (n, in, d, sp) -> ResNets.resnet50Cifar(n, in)));
        SPECS.put("resnet-small", new Spec("small ResNet for 28x28 / 32x32 images (stem 32, max-pool, BasicBlocks "
                + "32 and 64), 64-d pooled feature", 64, true, 8, (n, in, d, sp) -> ResNets.small(n, in)));
        SPECS.put("resnet20", new Spec("He et al. CIFAR ResNet-20 (HPN layout), 64-d pooled feature", 64, true, 4,
                (n, in, d, sp) -> ResNets.heCifar(n, in, 3, ResNets.Shortcut.CONV3X3_BN)));
        SPECS.put("resnet32", new Spec("He et al. CIFAR ResNet-32 (HPN layout), 64-d pooled feature", 64, true, 4,
                (n, in, d, sp) -> ResNets.heCifar(n, in, 5, ResNets.Shortcut.CONV3X3_BN)));
        SPECS.put("resnet32-a", new Spec("He et al. CIFAR ResNet-32, option-A (zero-pad) shortcuts as in DL2PA's "
                + "long-tail runs, 64-d pooled feature", 64, true, 4,
                (n, in, d, sp) -> ResNets.heCifar(n, in, 5, ResNets.Shortcut.ZERO_PAD_A)));
        SPECS.put("resnet50-imagenet", new Spec("torchvision ResNet-50, 2048-d pooled feature", 2048, false, 32,
                (n, in, d, sp) -> ResNets.resnet50Imagenet(n, in)));
        SPECS.put("classifier32", new Spec("ARPL/DSC open-set classifier32, 128-d pooled feature", 128, false, 8,
                (n, in, d, sp) -> PlainCnns.classifier32(n, in)));
        SPECS.put("cnn9", new Spec("MHE/CoMHE CNN-9 with fc6 to d", 0, false, 8,
                (n, in, d, sp) -> PlainCnns.cnn9(n, in, d)));
        SPECS.put("lenet-pp", new Spec("Wen et al. LeNet++ with fc1 to d + PReLU", 0, false, 8,
                (n, in, d, sp) -> PlainCnns.lenetPlusPlus(n, in, d)));
        SPECS.put("iresnet18", new Spec("InsightFace IResNet-18, FC to d + BN", 0, false, 16,
                (n, in, d, sp) -> IResNets.build(n, in, IResNets.LAYERS_18, d),
                java.util.Optional.of(IResNets.BOTTLENECK)));
        SPECS.put("iresnet34", new Spec("InsightFace IResNet-34, FC to d + BN", 0, false, 16,
                (n, in, d, sp) -> IResNets.build(n, in, IResNets.LAYERS_34, d),
                java.util.Optional.of(IResNets.BOTTLENECK)));
        SPECS.put("iresnet50", new Spec("InsightFace IResNet-50, FC to d + BN", 0, false, 16,
                (n, in, d, sp) -> IResNets.build(n, in, IResNets.LAYERS_50, d),
                java.util.Optional.of(IResNets.BOTTLENECK)));
        SPECS.put("iresnet100", new Spec("InsightFace IResNet-100, FC to d + BN", 0, false, 16,
                (n, in, d, sp) -> IResNets.build(n, in, IResNets.LAYERS_100, d),
                java.util.Optional.of(IResNets.BOTTLENECK)));
        SPECS.put("spherenet9", new Spec("SphereNet-9 (SphereConv 128/192/256, cosine fc6 to d)", 0, false, 8,
                SphereNets::sphereNet9));
        SPECS.put("sphereresnet32", new Spec("SphereResNet-32 (SphereConv, widths 96/192/384), 384-d pooled feature",
                384, false, 4, (n, in, d, sp) -> SphereNets.sphereResNet32(n, in, sp)));
    }

    private Backbones() {
    }

    /**
     * The vertex holding the backbone's last convolutional feature map, before its bottleneck (flatten → FC → BN to
     * d), for the backbones that have such a bottleneck: the input of the face "revised network" (IResNet's
     * {@code out_bn}, 512×(h/16)×(w/16)). Empty for the others.
     */
    public static java.util.Optional<String> convFeature(String name) {
        Spec spec = SPECS.get(name);
        return spec == null ? java.util.Optional.empty() : spec.bottleneck().map(Bottleneck::convFeature);
    }

    /** The backbones with a {@link #convFeature}. */
    public static List<String> revisable() {
        return names().stream().filter(n -> convFeature(n).isPresent()).toList();
    }

    /**
     * Removes the bottleneck of a backbone with a {@link #convFeature} from an open graph builder (the vertices after
     * the convolutional feature, up to and including {@value #EMBEDDING}) and returns the convolutional feature's
     * vertex name, for a caller that puts its own map from the flattened feature in its place.
     */
    public static String removeBottleneck(ComputationGraphConfiguration.GraphBuilder g, String name) {
        Bottleneck b = spec(name).bottleneck().orElseThrow(() -> new IllegalArgumentException("backbone " + name
                + " has no bottleneck on a flattened convolutional feature; these do: " + revisable()));
        for (String v : b.vertices()) {
            g.removeVertex(v, true);
        }
        return b.convFeature();
    }

    /** The registered names, in registry order. */
    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    /** A one-line description of a registered backbone. */
    public static String describe(String name) {
        return spec(name).description();
    }

    /**
     * Builds the named backbone with the project defaults: the given seed, He-normal ({@link WeightInit#RELU})
     * initialisation and float parameters. The updater is DL4J's default; use
     * {@link #build(String, int, int, int, int, NeuralNetConfiguration.Builder)} to set updater and regularisation.
     *
     * @throws IllegalArgumentException for an unknown name, a non-positive size or d, or an input smaller than the
     *                                  net's down-sampling factor
     */
    public static ComputationGraphConfiguration build(String name, int h, int w, int c, int d, long seed) {
        return build(name, h, w, c, d, new NeuralNetConfiguration.Builder()
                .seed(seed)
                .weightInit(WeightInit.RELU)
                .dataType(DataType.FLOAT));
    }

    /** Builds the named backbone on top of the caller's global settings (seed, updater, weight init, l2, …). */
    public static ComputationGraphConfiguration build(String name, int h, int w, int c, int d,
                                                      NeuralNetConfiguration.Builder base) {
        return graph(name, h, w, c, d, base).setOutputs(EMBEDDING).build();
    }

    /**
     * As {@link #build(String, int, int, int, int, NeuralNetConfiguration.Builder)} with SphereConv settings for the
     * sphere backbones ({@code spherenet9}, {@code sphereresnet32}); other backbones ignore them.
     */
    public static ComputationGraphConfiguration build(String name, int h, int w, int c, int d,
                                                      NeuralNetConfiguration.Builder base, SphereSettings sphere) {
        return graph(name, h, w, c, d, base, sphere).setOutputs(EMBEDDING).build();
    }

    /** As {@link #graph(String, int, int, int, int, NeuralNetConfiguration.Builder, SphereSettings)} with the
     * SphereNet defaults ({@link SphereSettings#defaults()}: cosine, k 0.3, λ 2e-4). */
    public static ComputationGraphConfiguration.GraphBuilder graph(String name, int h, int w, int c, int d,
                                                                   NeuralNetConfiguration.Builder base) {
        return graph(name, h, w, c, d, base, SphereSettings.defaults());
    }

    /**
     * Adds SphereNet's weight-normalised softmax classifier on {@code in} (usually {@value #EMBEDDING}): a
     * {@link io.protospark.model.head.NormalizedDense} named {@code name} (logits w_k·f / ‖w_k‖) and a softmax
     * cross-entropy loss layer; returns the loss layer's name, to pass to {@code setOutputs}.
     */
    public static String addWeightNormSoftmax(ComputationGraphConfiguration.GraphBuilder g, String in, String name,
                                              int classes) {
        return SphereNets.weightNormSoftmax(g, in, name, classes);
    }

    /**
     * The named backbone as an open graph builder: input {@value #INPUT} and the vertex {@value #EMBEDDING} are in
     * place but no output is set, so a caller can add a head (e.g. a fixed-prototype dense layer and a loss layer
     * taking {@value #EMBEDDING} as input), then call {@code setOutputs(…).build()}.
     */
    public static ComputationGraphConfiguration.GraphBuilder graph(String name, int h, int w, int c, int d,
                                                                   NeuralNetConfiguration.Builder base,
                                                                   SphereSettings sphere) {
        Spec spec = spec(name);
        java.util.Objects.requireNonNull(sphere, "sphere settings");
        requirePositive("h", h);
        requirePositive("w", w);
        requirePositive("c", c);
        requirePositive("d", d);
        if (h < spec.minSize() || w < spec.minSize()) {
            throw new IllegalArgumentException("backbone " + name + " down-samples by " + spec.minSize()
                    + " and needs h and w >= " + spec.minSize() + ", found " + h + "x" + w);
        }
        ComputationGraphConfiguration.GraphBuilder g = base.graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(h, w, c));
        GraphDsl n = new GraphDsl(g);
        String last = spec.body().add(n, INPUT, d, sphere);
        if (spec.pooledWidth() > 0) {
            if (d == spec.pooledWidth()) {
                last = n.globalAvgPool(last, EMBEDDING);
            } else {
                String pooled = n.globalAvgPool(last, "pool");
                last = n.dense(pooled, EMBEDDING, d, spec.projectionBias());
            }
        }
        if (!EMBEDDING.equals(last)) {
            throw new IllegalStateException("backbone " + name + " ends in " + last + ", not " + EMBEDDING);
        }
        return g;
    }

    /**
     * Parameters counted as PyTorch's {@code sum(p.numel() for p in model.parameters())} counts them: every weight,
     * bias and PReLU slope, and of each batch normalisation only γ and β (DL4J also stores the running mean and
     * variance as parameters, so {@link ComputationGraph#numParams()} is larger by 2 per BN channel).
     */
    public static long trainableParams(ComputationGraph net) {
        long total = 0;
        for (Layer layer : net.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization bn) {
                total += bn.isLockGammaBeta() ? 0 : 2 * bn.getNOut();
            } else {
                total += layer.numParams();
            }
        }
        return total;
    }

    private static Spec spec(String name) {
        Spec spec = name == null ? null : SPECS.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("unknown backbone '" + name + "'; known backbones: "
                    + String.join(", ", SPECS.keySet()));
        }
        return spec;
    }

    private static void requirePositive(String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, found " + value);
        }
    }
}
