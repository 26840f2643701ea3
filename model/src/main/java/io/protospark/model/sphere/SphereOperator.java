package io.protospark.model.sphere;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import java.util.ArrayList;
import java.util.List;

/**
 * The SphereConv operators g(θ) of SphereNet (Liu et al., NeurIPS 2017), θ the angle between a filter and its input
 * window. All map [0, π] onto [−1, 1] with g(0) = 1, g(π/2) = 0, g(π) = −1 and are odd about π/2.
 *
 * <ul>
 *   <li>{@link #COSINE}: g = cos θ.</li>
 *   <li>{@link #LINEAR}: g = 1 − (2/π)·θ.</li>
 *   <li>{@link #SIGMOID}: the seed writes g = κ(k)·(1 − e^{θ/k − π/(2k)}) / (1 + e^{θ/k − π/(2k)}) with
 *   κ(k) = (1 + e^{−π/(2k)}) / (1 − e^{−π/(2k)}). Since (1 − e^u)/(1 + e^u) = −tanh(u/2) and κ(k) = 1/tanh(π/(4k)),
 *   protospark evaluates the identical function as tanh((π/2 − θ)/(2k)) / tanh(π/(4k)), which cannot overflow.</li>
 *   <li>{@link #LEARNABLE_SIGMOID}: the same with one k per output channel, k = |k_raw| + 0.05, k_raw a trained
 *   parameter initialised to 0.7 in the seed (k = 0.75).</li>
 * </ul>
 */
public enum SphereOperator {
    COSINE, LINEAR, SIGMOID, LEARNABLE_SIGMOID;

    /** Offset added to |k_raw| for the learnable sigmoid (seed value). */
    public static final double K_OFFSET = 0.05;
    /**
     * The cosine is clipped to [−1 + CLIP, 1 − CLIP] before arccos: the seed's norm epsilon keeps |cos| &lt; 1
     * mathematically, but float rounding can reach ±1 where arccos has an infinite derivative.
     */
    static final double CLIP = 1e-6;

    /** The config spelling: {@code cosine}, {@code linear}, {@code sigmoid}, {@code learnable-sigmoid}. */
    public String configName() {
        return Configs.configName(this);
    }

    /** The operator named {@code value}; a {@link SettingsException} naming {@code key} and the known names otherwise. */
    public static SphereOperator parse(String key, String value) {
        List<String> names = new ArrayList<>();
        for (SphereOperator op : values()) {
            if (op.configName().equals(value)) {
                return op;
            }
            names.add(op.configName());
        }
        throw new SettingsException(key, "unknown SphereConv operator", value, "use one of " + names);
    }

    /** g(θ) for the angle θ ∈ [0, π]; k is used by the sigmoid forms only (for the learnable one, the effective k). */
    public double value(double theta, double k) {
        return switch (this) {
            case COSINE -> Math.cos(theta);
            case LINEAR -> 1.0 - 2.0 / Math.PI * theta;
            case SIGMOID, LEARNABLE_SIGMOID -> Math.tanh((Math.PI / 2 - theta) / (2 * k)) / Math.tanh(Math.PI / (4 * k));
        };
    }

    /** The seed's κ(k) = (1 + e^{−π/(2k)}) / (1 − e^{−π/(2k)}). */
    public static double kappa(double k) {
        double e = Math.exp(-Math.PI / (2 * k));
        return (1 + e) / (1 - e);
    }

    /**
     * g applied to a SameDiff cosine variable.
     *
     * @param k    the fixed k (sigmoid)
     * @param kRaw for the learnable sigmoid: the raw parameter, shaped to broadcast over {@code cos}; else null
     */
    SDVariable apply(SameDiff sd, SDVariable cos, double k, SDVariable kRaw) {
        if (this == COSINE) {
            return cos;
        }
        SDVariable theta = sd.math().acos(sd.math().clipByValue(cos, -1.0 + CLIP, 1.0 - CLIP));
        switch (this) {
            case LINEAR:
                return theta.mul(-2.0 / Math.PI).add(1.0);
            case SIGMOID:
                return sd.math().tanh(theta.rsub(Math.PI / 2).mul(1.0 / (2 * k))).mul(1.0 / Math.tanh(Math.PI / (4 * k)));
            case LEARNABLE_SIGMOID: {
                SDVariable kk = sd.math().abs(kRaw).add(K_OFFSET);
                SDVariable num = sd.math().tanh(theta.rsub(Math.PI / 2).div(kk.mul(2.0)));
                SDVariable den = sd.math().tanh(kk.rdiv(Math.PI / 4));
                return num.div(den);
            }
            default:
                throw new IllegalStateException(name());
        }
    }
}
