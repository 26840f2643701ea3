package io.protospark.model.prototype;

/** How a prototype matrix was placed. Names are the config spellings (lower case, dashes). */
public enum PrototypeKind {
    /** Regular simplex, K vertices in d = K − 1 dimensions, pairwise cosine −1/(K−1). */
    SIMPLEX,
    /** First K vertices of the d-cube (K ≤ 2^d), entries ±1/√d (RePoNet). */
    D_CUBE,
    /** First K of the 2d vertices ±e_i of the d-orthoplex (K ≤ 2d), cosines 0 or −1 (RePoNet). */
    ORTHOPLEX,
    /** Deep Simplex Classifier centres of radius u: a centred regular K-simplex in d ≥ K − 1 dimensions. */
    DSC_CENTRES,
    /** Kasarla et al.'s closed-form recursion for maximally separated unit vectors, K in K − 1 dimensions. */
    KASARLA,
    /** Simplex equiangular tight frame of neural collapse, d ≥ K (random orthonormal basis, seeded). */
    ETF,
    /** First K rows and d columns of a Sylvester Hadamard matrix, rows normalised (RePoNet's extra). */
    HADAMARD,
    /** K points evenly spaced on the unit circle, d = 2 (RePoNet's polygonal2d). */
    POLYGON,
    /** Prototypes estimated by seeded gradient descent on a spread objective (DL2PA, HPN, EBV), any d. */
    ESTIMATED,
    /** A matrix brought by the user (an {@code .npy} file). */
    FILE;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
