package io.protospark.model.net;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.backbone.Backbones;
import io.protospark.model.energy.EnergySettings;
import io.protospark.model.head.Decision;
import io.protospark.model.sphere.SphereSettings;
import io.protospark.model.prototype.PrototypeKind;
import io.protospark.model.prototype.PrototypeRequest;
import io.protospark.model.prototype.PrototypeSpec;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;

import java.util.List;

/**
 * Validated, immutable model settings read from {@code protospark.model.*} (and {@code protospark.seed}).
 * Built on the driver before Spark starts; every rule names its key.
 */
public record ModelSettings(
        long seed,
        int classes,
        int height,
        int width,
        int channels,
        String backbone,
        List<Integer> convChannels,
        List<Integer> hidden,
        int embeddingDim,
        HeadKind head,
        LossKind loss,
        Decision decision,
        PrototypeKind prototypes,
        OptimizerKind optimizer,
        double learningRate,
        double momentum,
        double weightDecay,
        boolean nesterov,
        List<String> noDecay,
        PrototypeSpec prototypeSpec,
        LearningRateSchedule schedule,
        List<Double> mean,
        List<Double> std,
        int damBlocks,
        int damInputDim,
        boolean fastLayers,
        SphereSettings sphere,
        boolean sphereSmallCnn,
        EnergySettings energy,
        double openSetMargin,
        boolean openSetRamp,
        boolean damRevised,
        double logEpsilon) implements PrototypeRequest {

    private static final String P = "protospark.model.";
    /** The demo convolutional backbone (conv blocks from {@code conv-channels}, dense layers from {@code hidden}). */
    public static final String SMALL_CNN = "small-cnn";
    /** The demo dense backbone (dense layers from {@code hidden}). */
    public static final String MLP = "mlp";

    public ModelSettings {
        convChannels = List.copyOf(convChannels);
        hidden = List.copyOf(hidden);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        noDecay = List.copyOf(noDecay);
    }

    /** The parameter groups {@code optimizer.no-decay} may name. */
    public static final List<String> NO_DECAY_GROUPS = List.of("bn", "bias");

    /** Reads and validates the model section of a merged config. */
    public static ModelSettings from(Config c) {
        long seed = Configs.getLong(c, "protospark.seed");
        int classes = Configs.positiveInt(c, P + "classes");
        if (classes < 2) {
            throw new SettingsException(P + "classes", "a classifier needs at least 2 classes", classes, "use >= 2");
        }
        int height = Configs.positiveInt(c, P + "input.height");
        int width = Configs.positiveInt(c, P + "input.width");
        int channels = Configs.positiveInt(c, P + "input.channels");
        String backbone = backbone(c);
        List<Integer> conv = positiveInts(c, P + "conv-channels");
        List<Integer> hidden = positiveInts(c, P + "hidden");
        int dim = Configs.positiveInt(c, P + "embedding-dim");
        HeadKind head = Configs.enumValue(c, P + "head.kind", HeadKind.class);
        LossKind loss = Configs.enumValue(c, P + "head.loss", LossKind.class);
        if (loss.isTarget() && head != HeadKind.FIXED) {
            throw new SettingsException(P + "head.loss", "the " + Configs.configName(loss)
                    + " loss pulls embeddings to fixed prototypes; the head is " + Configs.configName(head),
                    Configs.configName(loss), "use head.kind = fixed, or loss = cross-entropy");
        }
        Decision decision = decision(c, loss);
        if (head != HeadKind.FIXED && decision != Decision.DOT) {
            throw new SettingsException(P + "head.decision", "a learned head predicts by its largest logit",
                    decision.configName(), "auto or dot");
        }
        PrototypeKind prototypes = Configs.enumValue(c, P + "head.prototypes", PrototypeKind.class);
        // "nesterov" is the name earlier releases used for SGD with Nesterov momentum: still read, as sgd + nesterov
        String optimizerName = Configs.oneOf(c, P + "optimizer.name", List.of("sgd", "adam", "adamw", "nesterov"));
        OptimizerKind optimizer = "nesterov".equals(optimizerName) ? OptimizerKind.SGD
                : OptimizerKind.valueOf(optimizerName.toUpperCase(java.util.Locale.ROOT));
        boolean nesterov = "nesterov".equals(optimizerName) || Configs.getBoolean(c, P + "optimizer.nesterov");
        if (nesterov && optimizer != OptimizerKind.SGD) {
            throw new SettingsException(P + "optimizer.nesterov", "is a form of SGD momentum; the optimizer is "
                    + optimizerName, true, "name = sgd, or nesterov = false");
        }
        double lr = Configs.positiveDouble(c, P + "optimizer.learning-rate");
        double momentum = Configs.doubleInRange(c, P + "optimizer.momentum", 0.0, 0.999999);
        if (nesterov && momentum == 0) {
            throw new SettingsException(P + "optimizer.momentum", "Nesterov momentum needs a momentum > 0 (PyTorch "
                    + "refuses it too)", momentum, "for example 0.9, or nesterov = false");
        }
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
        PrototypeSpec spec = PrototypeSpec.read(c);
        LearningRateSchedule schedule = LearningRateSchedule.from(c);
        int damBlocks = Configs.nonNegativeInt(c, P + "dam.blocks");
        int damInput = Configs.positiveInt(c, P + "dam.input-dim");
        boolean revised = Configs.getBoolean(c, P + "dam.revised");
        if (revised && damBlocks > 0) {
            throw new SettingsException(P + "dam.revised", "the revised network replaces the DAM blocks by one linear "
                    + "map of the flattened convolutional feature", true, "dam.blocks = 0, or dam.revised = false");
        }
        if (revised && Backbones.convFeature(backbone).isEmpty()) {
            throw new SettingsException(P + "dam.revised", "needs a backbone whose bottleneck sits on a flattened "
                    + "convolutional feature; " + backbone + " has none", true,
                    "backbone = one of " + Backbones.revisable() + ", or dam.revised = false");
        }
        double logEpsilon = Configs.doubleInRange(c, P + "head.log-epsilon", 0.0, 0.5);
        if (logEpsilon > 0 && loss != LossKind.CROSS_ENTROPY) {
            throw new SettingsException(P + "head.log-epsilon", "floors the probabilities of the cross-entropy loss; the "
                    + Configs.configName(loss) + " loss has none", logEpsilon, "0, or head.loss = cross-entropy");
        }
        double margin = Configs.doubleInRange(c, P + "head.open-set.margin", 0.0, Double.MAX_VALUE);
        boolean ramp = Configs.getBoolean(c, P + "head.open-set.ramp");
        List<Double> mean = channelValues(c, P + "input.mean", channels, false);
        List<Double> std = channelValues(c, P + "input.std", channels, true);
        if (mean.isEmpty() != std.isEmpty()) {
            throw new SettingsException(P + (mean.isEmpty() ? "input.mean" : "input.std"),
                    "input.mean and input.std are given together", mean.isEmpty() ? mean : std,
                    channels + " values, like the other one");
        }

        if (!SMALL_CNN.equals(backbone) && !MLP.equals(backbone)) {
            try {
                Backbones.graph(backbone, height, width, channels, damBlocks > 0 ? damInput : dim,
                        new NeuralNetConfiguration.Builder());
            } catch (IllegalArgumentException e) {
                throw new SettingsException(P + "input", "must fit the backbone " + backbone + ": " + e.getMessage(),
                        height + "x" + width + "x" + channels, "a larger input, or backbone small-cnn / mlp");
            }
        }
        if (SMALL_CNN.equals(backbone)) {
            int h = height;
            int w = width;
            for (int i = 0; i < conv.size(); i++) {
                h /= 2;
                w /= 2;
                if (h < 1 || w < 1) {
                    throw new SettingsException(P + "conv-channels",
                            "each conv block halves the image; " + conv.size() + " blocks do not fit a "
                                    + height + "x" + width + " input", conv,
                            "use at most " + maxBlocks(height, width) + " blocks");
                }
            }
        }
        if (head == HeadKind.FIXED) {
            // the kind must place K prototypes in embedding-dim dimensions (see PrototypeSpec.checkFits)
            spec.checkFits();
        }
        return new ModelSettings(seed, classes, height, width, channels, backbone, conv, hidden, dim, head, loss, decision,
                prototypes, optimizer, lr, momentum, wd, nesterov, noDecay, spec, schedule, mean, std, damBlocks, damInput,
                Configs.getBoolean(c, P + "fast-layers"), SphereSettings.from(c),
                Configs.getBoolean(c, P + "sphere.small-cnn"), EnergySettings.from(c), margin, ramp, revised,
                logEpsilon);
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
        return head == HeadKind.FIXED;
    }

    /**
     * Width of the backbone's own feature: dam.input-dim when the DAM lifts it to embedding-dim (with the revised
     * network the backbone's own bottleneck is removed, and this width only sizes the discarded layers).
     */
    public int backboneDim() {
        return damBlocks > 0 ? damInputDim : embeddingDim;
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
