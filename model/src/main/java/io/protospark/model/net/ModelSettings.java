package io.protospark.model.net;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.backbone.Backbones;
import io.protospark.model.energy.EnergySettings;
import io.protospark.model.head.Decision;
import io.protospark.model.sphere.SphereSettings;
import io.protospark.model.prototype.PrototypeEstimator;
import io.protospark.model.prototype.PrototypeKind;
import io.protospark.model.prototype.PrototypeRequest;
import io.protospark.model.prototype.PrototypeSpec;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;

import java.util.List;
import java.util.Objects;

/**
 * Validated, immutable model settings read from {@code protospark.model.*} (and {@code protospark.seed}), one nested
 * record per section of the model's {@code reference.conf}. Built on the driver before Spark starts: {@link #from}
 * reads and checks every key, {@link #validate} the rules between keys; every rule names its key.
 *
 * @param seed          {@code protospark.seed}
 * @param classes       {@code classes}: K
 * @param input         {@code input.*}
 * @param backbone      {@code backbone}
 * @param convChannels  {@code conv-channels} (small-cnn only)
 * @param hidden        {@code hidden}
 * @param embeddingDim  {@code embedding-dim}: d
 * @param dam           {@code dam.*}
 * @param head          {@code head.*}
 * @param sphere        {@code sphere.*}
 * @param energy        {@code energy.*}
 * @param fastLayers    {@code fast-layers}
 * @param optimizer     {@code optimizer.*}
 */
public record ModelSettings(
        long seed,
        int classes,
        Input input,
        String backbone,
        List<Integer> convChannels,
        List<Integer> hidden,
        int embeddingDim,
        Dam dam,
        Head head,
        Sphere sphere,
        EnergySettings energy,
        boolean fastLayers,
        Optimizer optimizer) implements PrototypeRequest {

    private static final String P = "protospark.model.";
    /** The demo convolutional backbone (conv blocks from {@code conv-channels}, dense layers from {@code hidden}). */
    public static final String SMALL_CNN = "small-cnn";
    /** The demo dense backbone (dense layers from {@code hidden}). */
    public static final String MLP = "mlp";

    /** The parameter groups {@code optimizer.no-decay} may name. */
    public static final List<String> NO_DECAY_GROUPS = List.of("bn", "bias");

    public ModelSettings {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(backbone, "backbone");
        Objects.requireNonNull(dam, "dam");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(sphere, "sphere");
        Objects.requireNonNull(energy, "energy");
        Objects.requireNonNull(optimizer, "optimizer");
        convChannels = List.copyOf(convChannels);
        hidden = List.copyOf(hidden);
    }

    /**
     * {@code input.*}: the image shape and the per-channel normalisation ({@code mean} and {@code std} empty, or one
     * value per channel).
     */
    public record Input(int height, int width, int channels, List<Double> mean, List<Double> std) {
        public Input {
            mean = List.copyOf(mean);
            std = List.copyOf(std);
        }

        /** {@code height x width x channels}, as the messages print it. */
        public String shape() {
            return height + "x" + width + "x" + channels;
        }
    }

    /**
     * {@code dam.*}: the Deep Simplex Classifier's dimension augmentation module ({@code blocks} = 0: none) or the
     * face revised network ({@code revised}).
     */
    public record Dam(int blocks, int inputDim, boolean revised) {
    }

    /**
     * {@code head.*}: the classifier head, its loss and prediction rule, and the fixed prototypes it uses
     * ({@code prototypes}, {@code radius}, {@code dsc-subset}, {@code estimation.*}; see {@link #prototypeSpec()}).
     *
     * @param decision the rule {@code decision} names, {@code auto} already resolved for the loss
     */
    public record Head(HeadKind kind, LossKind loss, double logEpsilon, OpenSet openSet, Decision decision,
                       PrototypeKind prototypes, double radius, boolean dscSubset,
                       PrototypeEstimator.Settings estimation) {
        public Head {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(loss, "loss");
            Objects.requireNonNull(openSet, "openSet");
            Objects.requireNonNull(decision, "decision");
            Objects.requireNonNull(prototypes, "prototypes");
            Objects.requireNonNull(estimation, "estimation");
        }

        /** Whether this is the {@link HeadKind#FIXED} head: the one head that uses the prototypes. */
        public boolean fixed() {
            return kind == HeadKind.FIXED;
        }
    }

    /** {@code head.open-set.*}: the nirvana-open-set loss's hinge margin and the seed's ramp. */
    public record OpenSet(double margin, boolean ramp) {
    }

    /**
     * {@code sphere.*}: the settings of every SphereConv layer ({@code operator}, {@code sigmoid-k},
     * {@code learnable-k-init}, {@code orthogonality-lambda}) and whether small-cnn's convolutions are SphereConvs.
     */
    public record Sphere(SphereSettings conv, boolean smallCnn) {
        public Sphere {
            Objects.requireNonNull(conv, "conv");
        }
    }

    /**
     * {@code optimizer.*}: the optimizer and its hyper-parameters; {@code schedule} holds the learning-rate schedule
     * keys ({@code schedule}, {@code schedule-unit}, {@code milestones}, {@code gamma}, {@code min-lr},
     * {@code warmup-*}) with the base rate.
     *
     * @param kind {@code name}; the legacy name {@code nesterov} reads as sgd with {@code nesterov} true
     */
    public record Optimizer(OptimizerKind kind, boolean nesterov, double learningRate, LearningRateSchedule schedule,
                            double momentum, double weightDecay, List<String> noDecay) {
        public Optimizer {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(schedule, "schedule");
            noDecay = List.copyOf(noDecay);
        }
    }

    /** Reads and checks every key of the model section of a merged config, then {@link #validate}s. */
    public static ModelSettings from(Config c) {
        long seed = Configs.getLong(c, "protospark.seed");
        int classes = Configs.positiveInt(c, P + "classes");
        if (classes < 2) {
            throw new SettingsException(P + "classes", "a classifier needs at least 2 classes", classes, "use >= 2");
        }
        return builder()
                .seed(seed)
                .classes(classes)
                .input(input(c))
                .backbone(backbone(c))
                .convChannels(positiveInts(c, P + "conv-channels"))
                .hidden(positiveInts(c, P + "hidden"))
                .embeddingDim(Configs.positiveInt(c, P + "embedding-dim"))
                .head(head(c))
                .optimizer(optimizer(c))
                .dam(new Dam(Configs.nonNegativeInt(c, P + "dam.blocks"), Configs.positiveInt(c, P + "dam.input-dim"),
                        Configs.getBoolean(c, P + "dam.revised")))
                .fastLayers(Configs.getBoolean(c, P + "fast-layers"))
                .sphere(new Sphere(SphereSettings.from(c), Configs.getBoolean(c, P + "sphere.small-cnn")))
                .energy(EnergySettings.from(c))
                .build();
    }

    /**
     * Refuses combinations of keys no model can honour, in this order: a target loss or a decision other than dot
     * without a fixed head; Nesterov momentum without sgd or with momentum 0; the revised network with DAM blocks or
     * a backbone without a flattened convolutional feature; a log-epsilon without the cross-entropy loss; only one
     * of input.mean and input.std; an input the backbone (or small-cnn's conv blocks) cannot take; prototypes that
     * do not fit K and d under a fixed head ({@link PrototypeSpec#checkFits()}). {@link Builder#build()} calls it.
     */
    public void validate() {
        HeadKind kind = head.kind();
        LossKind loss = head.loss();
        if (loss.isTarget() && kind != HeadKind.FIXED) {
            throw new SettingsException(P + "head.loss", "the " + Configs.configName(loss)
                    + " loss pulls embeddings to fixed prototypes; the head is " + Configs.configName(kind),
                    Configs.configName(loss), "use head.kind = fixed, or loss = cross-entropy");
        }
        if (kind != HeadKind.FIXED && head.decision() != Decision.DOT) {
            throw new SettingsException(P + "head.decision", "a learned head predicts by its largest logit",
                    head.decision().configName(), "auto or dot");
        }
        if (optimizer.nesterov() && optimizer.kind() != OptimizerKind.SGD) {
            throw new SettingsException(P + "optimizer.nesterov", "is a form of SGD momentum; the optimizer is "
                    + Configs.configName(optimizer.kind()), true, "name = sgd, or nesterov = false");
        }
        if (optimizer.nesterov() && optimizer.momentum() == 0) {
            throw new SettingsException(P + "optimizer.momentum", "Nesterov momentum needs a momentum > 0 (PyTorch "
                    + "refuses it too)", optimizer.momentum(), "for example 0.9, or nesterov = false");
        }
        if (dam.revised() && dam.blocks() > 0) {
            throw new SettingsException(P + "dam.revised", "the revised network replaces the DAM blocks by one linear "
                    + "map of the flattened convolutional feature", true, "dam.blocks = 0, or dam.revised = false");
        }
        if (dam.revised() && Backbones.convFeature(backbone).isEmpty()) {
            throw new SettingsException(P + "dam.revised", "needs a backbone whose bottleneck sits on a flattened "
                    + "convolutional feature; " + backbone + " has none", true,
                    "backbone = one of " + Backbones.revisable() + ", or dam.revised = false");
        }
        if (head.logEpsilon() > 0 && loss != LossKind.CROSS_ENTROPY) {
            throw new SettingsException(P + "head.log-epsilon", "floors the probabilities of the cross-entropy loss; the "
                    + Configs.configName(loss) + " loss has none", head.logEpsilon(), "0, or head.loss = cross-entropy");
        }
        List<Double> mean = input.mean();
        List<Double> std = input.std();
        if (mean.isEmpty() != std.isEmpty()) {
            throw new SettingsException(P + (mean.isEmpty() ? "input.mean" : "input.std"),
                    "input.mean and input.std are given together", mean.isEmpty() ? mean : std,
                    input.channels() + " values, like the other one");
        }
        int height = input.height();
        int width = input.width();
        if (!SMALL_CNN.equals(backbone) && !MLP.equals(backbone)) {
            try {
                Backbones.graph(backbone, height, width, input.channels(), backboneDim(),
                        new NeuralNetConfiguration.Builder());
            } catch (IllegalArgumentException e) {
                throw new SettingsException(P + "input", "must fit the backbone " + backbone + ": " + e.getMessage(),
                        input.shape(), "a larger input, or backbone small-cnn / mlp");
            }
        }
        if (SMALL_CNN.equals(backbone)) {
            int h = height;
            int w = width;
            for (int i = 0; i < convChannels.size(); i++) {
                h /= 2;
                w /= 2;
                if (h < 1 || w < 1) {
                    throw new SettingsException(P + "conv-channels",
                            "each conv block halves the image; " + convChannels.size() + " blocks do not fit a "
                                    + height + "x" + width + " input", convChannels,
                            "use at most " + maxBlocks(height, width) + " blocks");
                }
            }
        }
        if (head.fixed()) {
            // the kind must place K prototypes in embedding-dim dimensions
            prototypeSpec().checkFits();
        }
    }

    /** A builder holding nothing yet; every component must be set before {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some components of a copy. */
    public Builder toBuilder() {
        return new Builder().seed(seed).classes(classes).input(input).backbone(backbone).convChannels(convChannels)
                .hidden(hidden).embeddingDim(embeddingDim).dam(dam).head(head).sphere(sphere).energy(energy)
                .fastLayers(fastLayers).optimizer(optimizer);
    }

    /** Builds {@link ModelSettings} component by component; {@link #build()} {@link ModelSettings#validate}s. */
    public static final class Builder {
        private long seed;
        private int classes;
        private Input input;
        private String backbone;
        private List<Integer> convChannels = List.of();
        private List<Integer> hidden = List.of();
        private int embeddingDim;
        private Dam dam;
        private Head head;
        private Sphere sphere;
        private EnergySettings energy;
        private boolean fastLayers;
        private Optimizer optimizer;

        private Builder() {
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        public Builder input(Input input) {
            this.input = input;
            return this;
        }

        public Builder backbone(String backbone) {
            this.backbone = backbone;
            return this;
        }

        public Builder convChannels(List<Integer> convChannels) {
            this.convChannels = convChannels;
            return this;
        }

        public Builder hidden(List<Integer> hidden) {
            this.hidden = hidden;
            return this;
        }

        public Builder embeddingDim(int embeddingDim) {
            this.embeddingDim = embeddingDim;
            return this;
        }

        public Builder dam(Dam dam) {
            this.dam = dam;
            return this;
        }

        public Builder head(Head head) {
            this.head = head;
            return this;
        }

        public Builder sphere(Sphere sphere) {
            this.sphere = sphere;
            return this;
        }

        public Builder energy(EnergySettings energy) {
            this.energy = energy;
            return this;
        }

        public Builder fastLayers(boolean fastLayers) {
            this.fastLayers = fastLayers;
            return this;
        }

        public Builder optimizer(Optimizer optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** The settings, {@link ModelSettings#validate validated}. */
        public ModelSettings build() {
            ModelSettings s = new ModelSettings(seed, classes, input, backbone, convChannels, hidden, embeddingDim, dam,
                    head, sphere, energy, fastLayers, optimizer);
            s.validate();
            return s;
        }
    }

    private static Input input(Config c) {
        int height = Configs.positiveInt(c, P + "input.height");
        int width = Configs.positiveInt(c, P + "input.width");
        int channels = Configs.positiveInt(c, P + "input.channels");
        return new Input(height, width, channels, channelValues(c, P + "input.mean", channels, false),
                channelValues(c, P + "input.std", channels, true));
    }

    private static Head head(Config c) {
        HeadKind kind = Configs.enumValue(c, P + "head.kind", HeadKind.class);
        LossKind loss = Configs.enumValue(c, P + "head.loss", LossKind.class);
        Decision decision = decision(c, loss);
        // kind, radius, dsc-subset and estimation.*, read and range-checked as the prototype construction reads them
        PrototypeSpec spec = PrototypeSpec.read(c);
        double logEpsilon = Configs.doubleInRange(c, P + "head.log-epsilon", 0.0, 0.5);
        OpenSet openSet = new OpenSet(Configs.doubleInRange(c, P + "head.open-set.margin", 0.0, Double.MAX_VALUE),
                Configs.getBoolean(c, P + "head.open-set.ramp"));
        return new Head(kind, loss, logEpsilon, openSet, decision, spec.kind(), spec.radius(), spec.dscSubset(),
                spec.estimation());
    }

    private static Optimizer optimizer(Config c) {
        // "nesterov" is the name earlier releases used for SGD with Nesterov momentum: still read, as sgd + nesterov
        String name = Configs.oneOf(c, P + "optimizer.name", List.of("sgd", "adam", "adamw", "nesterov"));
        OptimizerKind kind = "nesterov".equals(name) ? OptimizerKind.SGD
                : OptimizerKind.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        boolean nesterov = "nesterov".equals(name) || Configs.getBoolean(c, P + "optimizer.nesterov");
        double lr = Configs.positiveDouble(c, P + "optimizer.learning-rate");
        double momentum = Configs.doubleInRange(c, P + "optimizer.momentum", 0.0, 0.999999);
        double wd = Configs.doubleInRange(c, P + "optimizer.weight-decay", 0.0, 1.0);
        List<String> noDecay;
        try {
            noDecay = c.getStringList(P + "optimizer.no-decay");
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(P + "optimizer.no-decay", "must be a list of parameter groups",
                    c.getValue(P + "optimizer.no-decay").unwrapped(), "a subset of " + NO_DECAY_GROUPS);
        }
        for (String g : noDecay) {
            if (!NO_DECAY_GROUPS.contains(g)) {
                throw new SettingsException(P + "optimizer.no-decay", "names parameter groups kept free of weight "
                        + "decay", noDecay, "a subset of " + NO_DECAY_GROUPS + ", e.g. [bn, bias]");
            }
        }
        return new Optimizer(kind, nesterov, lr, LearningRateSchedule.from(c), momentum, wd, noDecay);
    }

    /**
     * The prediction rule; {@code auto} is the one each method's seed uses: the largest logit for cross-entropy heads
     * and the Nirvana softmax variant (logits f·s_k), the nearest centre for the Nirvana MSE and hinge losses, the
     * largest cosine for DL2PA's squared-cosine and long-tail losses (over the batch-normalised feature).
     */
    private static Decision decision(Config c, LossKind loss) {
        List<String> names = new java.util.ArrayList<>(List.of("auto"));
        for (Decision d : Decision.values()) {
            names.add(d.configName());
        }
        String v = Configs.oneOf(c, P + "head.decision", names);
        if (!"auto".equals(v)) {
            return Decision.fromName(v);
        }
        return switch (loss) {
            case CROSS_ENTROPY, NIRVANA_SOFTMAX -> Decision.DOT;
            case NIRVANA_MSE, NIRVANA_HINGE, NIRVANA_OPEN_SET -> Decision.EUCLIDEAN;
            case SQUARED_COSINE, LONG_TAIL_DOT_REGRESSION -> Decision.COSINE;
        };
    }

    /** Whether the head is {@link HeadKind#FIXED}: the one head that uses the prototypes. */
    @Override
    public boolean fixedHead() {
        return head.fixed();
    }

    /** The construction of the fixed prototypes: {@code head.prototypes} and its options for K, d and the seed. */
    @Override
    public PrototypeSpec prototypeSpec() {
        return new PrototypeSpec(head.prototypes(), classes, embeddingDim, head.radius(), seed, head.dscSubset(),
                head.estimation());
    }

    /**
     * Width of the backbone's own feature: dam.input-dim when the DAM lifts it to embedding-dim (with the revised
     * network the backbone's own bottleneck is removed, and this width only sizes the discarded layers).
     */
    public int backboneDim() {
        return dam.blocks() > 0 ? dam.inputDim() : embeddingDim;
    }

    private static List<Double> channelValues(Config c, String path, int channels, boolean positive) {
        List<Double> values;
        try {
            values = c.getDoubleList(path);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(path, "must be a list of numbers, one per channel", c.getValue(path).unwrapped(),
                    "for example [0.5, 0.5, 0.5], or []");
        }
        if (!values.isEmpty() && values.size() != channels) {
            throw new SettingsException(path, "needs one value per input channel", values,
                    channels + " values (input.channels = " + channels + "), or []");
        }
        for (double v : values) {
            if (!Double.isFinite(v) || (positive && v <= 0)) {
                throw new SettingsException(path, positive ? "must hold positive numbers" : "must hold finite numbers",
                        values, positive ? "standard deviations > 0" : "finite means");
            }
        }
        return values;
    }

    private static String backbone(Config c) {
        List<String> known = new java.util.ArrayList<>(List.of(SMALL_CNN, MLP));
        known.addAll(Backbones.names());
        return Configs.oneOf(c, P + "backbone", known);
    }

    private static int maxBlocks(int h, int w) {
        int n = 0;
        while (h / 2 >= 1 && w / 2 >= 1) {
            h /= 2;
            w /= 2;
            n++;
        }
        return n;
    }

    private static List<Integer> positiveInts(Config c, String path) {
        List<Integer> values;
        try {
            values = c.getIntList(path);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(path, "must be a list of positive integers", c.getValue(path).unwrapped(),
                    "for example [16, 32]");
        }
        for (int v : values) {
            if (v <= 0) {
                throw new SettingsException(path, "must be a list of positive integers", values, "for example [16, 32]");
            }
        }
        return values;
    }
}
