package io.protospark.model.net;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.prototype.PrototypeKind;
import io.protospark.model.prototype.PrototypeSpec;

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
        BackboneKind backbone,
        List<Integer> convChannels,
        List<Integer> hidden,
        int embeddingDim,
        HeadKind head,
        PrototypeKind prototypes,
        OptimizerKind optimizer,
        double learningRate,
        double momentum,
        double weightDecay,
        PrototypeSpec prototypeSpec) {

    private static final String P = "protospark.model.";

    public ModelSettings {
        convChannels = List.copyOf(convChannels);
        hidden = List.copyOf(hidden);
    }

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
        BackboneKind backbone = Configs.enumValue(c, P + "backbone", BackboneKind.class);
        List<Integer> conv = positiveInts(c, P + "conv-channels");
        List<Integer> hidden = positiveInts(c, P + "hidden");
        int dim = Configs.positiveInt(c, P + "embedding-dim");
        HeadKind head = Configs.enumValue(c, P + "head.kind", HeadKind.class);
        PrototypeKind prototypes = Configs.enumValue(c, P + "head.prototypes", PrototypeKind.class);
        OptimizerKind optimizer = Configs.enumValue(c, P + "optimizer.name", OptimizerKind.class);
        double lr = Configs.positiveDouble(c, P + "optimizer.learning-rate");
        double momentum = Configs.doubleInRange(c, P + "optimizer.momentum", 0.0, 0.999999);
        double wd = Configs.doubleInRange(c, P + "optimizer.weight-decay", 0.0, 1.0);
        PrototypeSpec spec = PrototypeSpec.read(c);

        if (backbone == BackboneKind.SMALL_CNN) {
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
        return new ModelSettings(seed, classes, height, width, channels, backbone, conv, hidden, dim, head,
                prototypes, optimizer, lr, momentum, wd, spec);
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
