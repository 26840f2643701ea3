package io.protospark.model.energy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;

import java.util.ArrayList;
import java.util.List;

/**
 * Hyperspherical energy (MHE / CoMHE) settings, read from {@code protospark.model.energy.*}.
 *
 * @param form             {@code form}: none | 0 | 1 | 2 | a0 | a1 | a2 (null = none, no regulariser)
 * @param halfSpace        {@code half-space}: half-space energy on hidden layers (the classifier is always full-space)
 * @param hiddenWeight     {@code hidden-weight}: weight on each hidden layer; null in the config = the form's seed
 *                         default (1, or 0.1 for a1 / a2)
 * @param classifierWeight {@code classifier-weight}: weight on the classifier layer; null = seed default (10, or 1)
 * @param classifierLayer  {@code classifier-layer}: name of the final classifier layer ("" = none)
 * @param layers           {@code layers}: layer names to regularise; empty = every trainable weight layer
 * @param projection       {@code projection}: none | random | angle-preserving | adversarial
 * @param projectionDim    {@code projection-dim}: d_p (seed 40 for random, 30 for the learnable kinds)
 * @param projections      {@code projections}: n_p, random projections per iteration (seed 20)
 * @param angleSteps       {@code angle-preserving-steps}: P steps per iteration for angle-preserving (seed 1)
 * @param adversarialSteps {@code adversarial-steps}: P ascent steps per iteration for adversarial (seed 10)
 * @param projectionSeed   {@code projection-seed}: seed of the projections
 */
public record EnergySettings(EnergyForm form, boolean halfSpace, double hiddenWeight, double classifierWeight,
                             String classifierLayer, List<String> layers, ProjectionKind projection,
                             int projectionDim, int projections, int angleSteps, int adversarialSteps,
                             long projectionSeed) {
    /** The config section. */
    public static final String PREFIX = "protospark.model.energy.";

    public EnergySettings {
        layers = List.copyOf(layers);
    }

    /** Whether any regulariser is configured. */
    public boolean enabled() {
        return form != null;
    }

    /** Reads and validates {@code protospark.model.energy.*}. */
    public static EnergySettings from(Config c) {
        String formName = Configs.getString(c, PREFIX + "form");
        EnergyForm form = "none".equals(formName) ? null : EnergyForm.parse(PREFIX + "form", formName);
        boolean half = Configs.getBoolean(c, PREFIX + "half-space");
        double hidden = weight(c, "hidden-weight", form == null ? 1.0 : form.hiddenWeight());
        double classifier = weight(c, "classifier-weight", form == null ? 10.0 : form.classifierWeight());
        String classifierLayer = Configs.getString(c, PREFIX + "classifier-layer");
        List<String> layers;
        try {
            layers = new ArrayList<>(c.getStringList(PREFIX + "layers"));
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(PREFIX + "layers", "must be a list of layer names",
                    c.getValue(PREFIX + "layers").unwrapped(), "for example [conv2, conv3] or [] for every layer");
        }
        List<String> kinds = new ArrayList<>();
        for (ProjectionKind k : ProjectionKind.values()) {
            kinds.add(k.configName());
        }
        String projName = Configs.getString(c, PREFIX + "projection");
        if (!kinds.contains(projName)) {
            throw new SettingsException(PREFIX + "projection", "unknown CoMHE projection", projName,
                    "use one of " + kinds);
        }
        ProjectionKind projection = ProjectionKind.values()[kinds.indexOf(projName)];
        int dim = Configs.positiveInt(c, PREFIX + "projection-dim");
        int count = Configs.positiveInt(c, PREFIX + "projections");
        int angleSteps = Configs.nonNegativeInt(c, PREFIX + "angle-preserving-steps");
        int advSteps = Configs.nonNegativeInt(c, PREFIX + "adversarial-steps");
        long seed = Configs.getLong(c, PREFIX + "projection-seed");
        if (projection != ProjectionKind.NONE && form == null) {
            throw new SettingsException(PREFIX + "projection", "a projection needs an energy form", projName,
                    "set " + PREFIX + "form (CoMHE uses 2) or projection = none");
        }
        return new EnergySettings(form, half, hidden, classifier, classifierLayer, layers, projection, dim, count,
                angleSteps, advSteps, seed);
    }

    private static double weight(Config c, String key, double formDefault) {
        String path = PREFIX + key;
        if (c.hasPathOrNull(path) && c.getIsNull(path)) {
            return formDefault;
        }
        double v = Configs.getDouble(c, path);
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new SettingsException(path, "must be a finite number >= 0 (or null for the form's seed default)", v,
                    "the seeds use " + formDefault + " for this form");
        }
        return v;
    }
}
