package io.protospark.model.prototype;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;

import java.util.Objects;

/**
 * What prototype matrix to build: kind, K, d, radius, seed and the kind's options, read from
 * {@code protospark.model.*} and {@code protospark.seed}. {@link #checkFits()} refuses the combinations no
 * construction can honour, naming the key, the rule, the value and what would fit; {@link Prototypes#build} builds.
 *
 * @param dscSubset  dsc-centres only: the DSC code's first K of d + 1 vertices instead of a centred K-simplex
 * @param estimation estimated only: objective and schedule
 */
public record PrototypeSpec(PrototypeKind kind, int classes, int dimension, double radius, long seed,
                            boolean dscSubset, PrototypeEstimator.Settings estimation) {
    /** Config key of the kind. */
    public static final String KIND_KEY = "protospark.model.head.prototypes";
    /** Config key of K. */
    public static final String CLASSES_KEY = "protospark.model.classes";
    /** Config key of d. */
    public static final String DIM_KEY = "protospark.model.embedding-dim";
    /** Config key of the radius u. */
    public static final String RADIUS_KEY = "protospark.model.head.radius";
    /** Config key of the DSC subset option. */
    public static final String DSC_SUBSET_KEY = "protospark.model.head.dsc-subset";
    /** Config prefix of the estimation settings. */
    public static final String ESTIMATION = "protospark.model.head.estimation.";
    /** Config key of the seed. */
    public static final String SEED_KEY = "protospark.seed";

    public PrototypeSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(estimation, "estimation");
    }

    /** Reads the keys and checks each value's own range; does not check that the kind fits K and d. */
    public static PrototypeSpec read(Config c) {
        long seed = Configs.getLong(c, SEED_KEY);
        int classes = Configs.positiveInt(c, CLASSES_KEY);
        if (classes < 2) {
            throw new SettingsException(CLASSES_KEY, "prototypes need at least 2 classes", classes, "use >= 2");
        }
        int dim = Configs.positiveInt(c, DIM_KEY);
        PrototypeKind kind = Configs.enumValue(c, KIND_KEY, PrototypeKind.class);
        double radius = Configs.positiveDouble(c, RADIUS_KEY);
        boolean subset = Configs.getBoolean(c, DSC_SUBSET_KEY);
        EstimationObjective objective = Configs.enumValue(c, ESTIMATION + "objective", EstimationObjective.class);
        int iterations = Configs.nonNegativeInt(c, ESTIMATION + "iterations");
        double lr = Configs.positiveDouble(c, ESTIMATION + "learning-rate");
        double tolerance = Configs.doubleInRange(c, ESTIMATION + "tolerance", 0.0, 0.999);
        return new PrototypeSpec(kind, classes, dim, radius, seed, subset,
                new PrototypeEstimator.Settings(objective, iterations, lr, tolerance));
    }

    /** {@link #read} then {@link #checkFits}. */
    public static PrototypeSpec from(Config c) {
        PrototypeSpec s = read(c);
        s.checkFits();
        return s;
    }

    /** Refuses a kind that cannot place K prototypes in d dimensions. */
    public void checkFits() {
        int k = classes;
        int d = dimension;
        String name = kind.configName();
        switch (kind) {
            case SIMPLEX -> {
                if (d != k - 1) {
                    throw new SettingsException(DIM_KEY, "a simplex head for " + k + " classes needs embedding-dim = "
                            + "classes - 1 = " + (k - 1), d, "set embedding-dim = " + (k - 1)
                            + " or use head.kind = learned");
                }
            }
            case D_CUBE -> {
                if (d < 31 && k > (1L << d)) {
                    throw new SettingsException(DIM_KEY, "d-cube in " + d + " dimensions holds at most " + (1L << d)
                            + " classes, K = " + k, d, "use embedding-dim >= " + ceilLog2(k));
                }
            }
            case ORTHOPLEX -> {
                if (k > 2L * d) {
                    throw new SettingsException(DIM_KEY, "orthoplex in " + d + " dimensions holds at most " + 2L * d
                            + " classes, K = " + k, d, "use embedding-dim >= ceil(K/2) = " + (k + 1) / 2);
                }
            }
            case DSC_CENTRES, KASARLA -> {
                if (d < k - 1) {
                    throw new SettingsException(DIM_KEY, name + " for " + k + " classes needs embedding-dim >= K - 1 = "
                            + (k - 1), d, "use embedding-dim >= " + (k - 1) + ", or prototypes = estimated"
                            + (2L * d >= k ? " or orthoplex" : ""));
                }
            }
            case ETF -> {
                if (d < k) {
                    throw new SettingsException(DIM_KEY, "etf for " + k + " classes needs embedding-dim >= K = " + k, d,
                            "use embedding-dim >= " + k + (d >= k - 1 ? ", or dsc-centres / kasarla (d >= K - 1)" : "")
                                    + ", or prototypes = estimated");
                }
            }
            case HADAMARD -> {
                if (k > Polytopes.hadamardCapacity(d)) {
                    int need = (1 << (ceilLog2(k) - 1)) + 1;
                    throw new SettingsException(DIM_KEY, "hadamard rows in " + d + " dimensions are distinct for at most "
                            + Polytopes.hadamardCapacity(d) + " classes, K = " + k, d, "use embedding-dim >= " + need);
                }
            }
            case POLYGON -> {
                if (d != 2) {
                    throw new SettingsException(DIM_KEY, "polygon prototypes lie in a plane: embedding-dim must be 2", d,
                            "set embedding-dim = 2");
                }
            }
            case ESTIMATED -> {
                if (d < 2) {
                    throw new SettingsException(DIM_KEY, "estimated prototypes need embedding-dim >= 2", d,
                            "use embedding-dim >= 2");
                }
            }
            case FILE -> throw new SettingsException(KIND_KEY,
                    "prototypes from a file are not supported by this build yet", "file",
                    "use one of simplex, d-cube, orthoplex, dsc-centres, kasarla, etf, hadamard, polygon, estimated");
            default -> throw new IllegalStateException("unhandled prototype kind " + kind);
        }
    }

    /**
     * The iteration count the estimator runs: the configured one, or for 0 the automatic
     * min(500, max(20, 1.2e10 / (K²·d))) — a count fixed by K and d, so the result stays reproducible.
     */
    public int estimationIterations() {
        if (estimation.iterations() > 0) {
            return estimation.iterations();
        }
        double auto = 1.2e10 / ((double) classes * classes * dimension);
        return (int) Math.max(20, Math.min(500, Math.floor(auto)));
    }

    static int ceilLog2(int k) {
        int b = 0;
        while ((1L << b) < k) {
            b++;
        }
        return b;
    }
}
