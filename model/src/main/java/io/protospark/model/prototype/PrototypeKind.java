package io.protospark.model.prototype;

/** How a prototype matrix was placed. Names are the config spellings (lower case, dashes). */
public enum PrototypeKind {
    /** Regular simplex, K vertices in d = K − 1 dimensions, pairwise cosine −1/(K−1). */
    SIMPLEX,
    /** A matrix brought by the user (an {@code .npy} file). */
    FILE;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
