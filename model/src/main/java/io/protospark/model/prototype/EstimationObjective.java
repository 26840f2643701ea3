package io.protospark.model.prototype;

/** What {@link PrototypeEstimator} minimises. Config spellings are lower case with dashes. */
public enum EstimationObjective {
    /**
     * The project's estimator: per-prototype log-sum-exp of cosines to the others, Σ_i (1/β) log Σ_j exp(β·c_ij),
     * with β annealed from soft to sharp and a decaying step; returns the iterate with the lowest max cosine.
     */
    SPREAD,
    /**
     * DL2PA's Wang–Isola uniformity loss with t = 2 (Saadabadi et al., CVPR 2024, {@code Prototype_Estimation.py}):
     * log mean_{i&lt;j} exp(−t·‖p_i − p_j‖²), plain SGD.
     */
    UNIFORMITY,
    /** HPN's objective (Mettes et al., NeurIPS 2019): mean_i max_{j≠i} (cos(p_i, p_j) + 1), plain SGD. */
    MAX_COSINE,
    /**
     * EBV's near-orthogonality target (Shen et al., CVPR 2023): Σ_{i≠j} relu(|cos(p_i, p_j)| − τ), SGD, stops when
     * max |cos| ≤ τ + 1e-4.
     */
    NEAR_ORTHOGONAL;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
