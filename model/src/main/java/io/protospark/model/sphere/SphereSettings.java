package io.protospark.model.sphere;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;

/**
 * SphereConv settings, read from {@code protospark.model.sphere.*}.
 *
 * @param operator            {@code operator}: cosine | linear | sigmoid | learnable-sigmoid (seed default cosine;
 *                            the reported SphereResNet-32 used linear)
 * @param sigmoidK            {@code sigmoid-k}: k of the sigmoid operator, &gt; 0 (seed 0.3)
 * @param learnableKInit      {@code learnable-k-init}: initial k_raw of the learnable sigmoid, k = |k_raw| + 0.05
 *                            (seed 0.7)
 * @param orthogonalityLambda {@code orthogonality-lambda}: λ of ½λ‖WᵀW − I‖²_F on every SphereConv layer, ≥ 0
 *                            (seed 2e-4)
 */
public record SphereSettings(SphereOperator operator, double sigmoidK, double learnableKInit,
                             double orthogonalityLambda) {
    /** The config section. */
    public static final String PREFIX = "protospark.model.sphere.";

    /** The seed's defaults: cosine, k = 0.3, k_raw = 0.7, λ = 2e-4. */
    public static SphereSettings defaults() {
        return new SphereSettings(SphereOperator.COSINE, 0.3, 0.7, 2e-4);
    }

    /** Reads and validates {@code protospark.model.sphere.*}. */
    public static SphereSettings from(Config c) {
        SphereOperator op = SphereOperator.parse(PREFIX + "operator", Configs.getString(c, PREFIX + "operator"));
        double k = Configs.getDouble(c, PREFIX + "sigmoid-k");
        if (!(k > 0) || Double.isInfinite(k)) {
            throw new SettingsException(PREFIX + "sigmoid-k", "must be a positive finite number", k,
                    "the seed uses 0.3");
        }
        double kInit = Configs.getDouble(c, PREFIX + "learnable-k-init");
        if (Double.isNaN(kInit) || Double.isInfinite(kInit)) {
            throw new SettingsException(PREFIX + "learnable-k-init", "must be a finite number", kInit,
                    "the seed uses 0.7 (k = |0.7| + 0.05)");
        }
        double lambda = Configs.getDouble(c, PREFIX + "orthogonality-lambda");
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new SettingsException(PREFIX + "orthogonality-lambda", "must be a finite number >= 0", lambda,
                    "the seed uses 2e-4; 0 turns the penalty off");
        }
        return new SphereSettings(op, k, kInit, lambda);
    }

    /** The same settings with another operator. */
    public SphereSettings withOperator(SphereOperator op) {
        return new SphereSettings(op, sigmoidK, learnableKInit, orthogonalityLambda);
    }
}
