package io.protospark.model.energy;

import io.protospark.config.SettingsException;

import java.util.ArrayList;
import java.util.List;

/**
 * The pair terms of hyperspherical energy (MHE, Liu et al., NeurIPS 2018; CoMHE, Lin et al., CVPR 2020), named as the
 * seeds' {@code power_s} option. With c the eps-normalised cosine of two neurons, q = 2 − 2c the squared chordal
 * distance and θ = arccos(c)/π + 1e-4 the normalised angle:
 * {@code 0}: −log q; {@code 1}: q^(−1/2); {@code 2}: q^(−1); {@code a0}: −log θ; {@code a1}: θ^(−1); {@code a2}: θ^(−2).
 * Each form carries the seeds' default weights for hidden layers and for the final classifier layer.
 */
public enum EnergyForm {
    S0("0", 1.0, 10.0), S1("1", 1.0, 10.0), S2("2", 1.0, 10.0),
    A0("a0", 1.0, 10.0), A1("a1", 0.1, 1.0), A2("a2", 0.1, 1.0);

    /** Added to the normalised angle θ = arccos(c)/π (seed value). */
    public static final double ANGLE_EPS = 1e-4;

    private final String configName;
    private final double hiddenWeight;
    private final double classifierWeight;

    EnergyForm(String configName, double hiddenWeight, double classifierWeight) {
        this.configName = configName;
        this.hiddenWeight = hiddenWeight;
        this.classifierWeight = classifierWeight;
    }

    /** The seeds' spelling: 0, 1, 2, a0, a1, a2. */
    public String configName() {
        return configName;
    }

    /** The seeds' weight of this form on a hidden layer (1, or 0.1 for a1 / a2). */
    public double hiddenWeight() {
        return hiddenWeight;
    }

    /** The seeds' weight of this form on the final classifier layer (10, or 1 for a1 / a2). */
    public double classifierWeight() {
        return classifierWeight;
    }

    /** The form spelled {@code value}; a {@link SettingsException} naming {@code key} and the known forms otherwise. */
    public static EnergyForm parse(String key, String value) {
        List<String> names = new ArrayList<>();
        for (EnergyForm f : values()) {
            if (f.configName.equals(value)) {
                return f;
            }
            names.add(f.configName);
        }
        throw new SettingsException(key, "unknown hyperspherical energy form", value,
                "use one of " + names + " (or none)");
    }

    boolean angular() {
        return this == A0 || this == A1 || this == A2;
    }

    /** The pair term at cosine c. */
    double term(double c) {
        switch (this) {
            case S0:
                return -Math.log(2 - 2 * c);
            case S1:
                return 1 / Math.sqrt(2 - 2 * c);
            case S2:
                return 1 / (2 - 2 * c);
            default:
                double t = Math.acos(c) / Math.PI + ANGLE_EPS;
                return this == A0 ? -Math.log(t) : this == A1 ? 1 / t : 1 / (t * t);
        }
    }

    /** d term / dc at cosine c. */
    double derivative(double c) {
        switch (this) {
            case S0:
                return 2 / (2 - 2 * c);
            case S1: {
                double q = 2 - 2 * c;
                return 1 / (q * Math.sqrt(q));
            }
            case S2: {
                double q = 2 - 2 * c;
                return 2 / (q * q);
            }
            default: {
                double t = Math.acos(c) / Math.PI + ANGLE_EPS;
                double dt = -1 / (Math.PI * Math.sqrt(Math.max(1 - c * c, 1e-300)));
                double df = this == A0 ? -1 / t : this == A1 ? -1 / (t * t) : -2 / (t * t * t);
                return df * dt;
            }
        }
    }
}
