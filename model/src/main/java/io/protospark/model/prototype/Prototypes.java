package io.protospark.model.prototype;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Builds the {@link PrototypeSet} a configuration asks for: every {@link PrototypeKind} but {@code file}, scaled to
 * the configured radius, with its construction parameters and seed recorded.
 */
public final class Prototypes {
    private Prototypes() {
    }

    /**
     * The prototypes of a model: the configured construction for a fixed head; for a learned head (which ignores
     * them) the regular simplex, as before.
     */
    public static PrototypeSet build(PrototypeRequest m) {
        if (!m.fixedHead()) {
            return PrototypeSet.simplex(m.classes());
        }
        return build(m.prototypeSpec());
    }

    /** Builds the matrix of a spec (checking that it fits first). */
    public static PrototypeSet build(PrototypeSpec s) {
        s.checkFits();
        int k = s.classes();
        int d = s.dimension();
        double u = s.radius();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("radius", u);
        OptionalLong seed = OptionalLong.empty();
        double[][] rows;
        switch (s.kind()) {
            case SIMPLEX -> rows = Polytopes.simplex(k);
            case D_CUBE -> rows = Polytopes.dcube(k, d);
            case ORTHOPLEX -> rows = Polytopes.orthoplex(k, d);
            case DSC_CENTRES -> {
                params.put("dsc_subset", s.dscSubset());
                // the centres already have norm u
                return PrototypeSet.adopt(s.kind(), s.dscSubset() ? SimplexCentres.subset(k, d, u)
                        : SimplexCentres.centred(k, d, u), params, seed);
            }
            case KASARLA -> rows = Kasarla.prototypes(k, d);
            case ETF -> {
                seed = OptionalLong.of(s.seed());
                rows = SimplexEtf.prototypes(k, d, s.seed());
            }
            case HADAMARD -> rows = Polytopes.hadamard(k, d);
            case POLYGON -> rows = Polytopes.polygon(k);
            case ESTIMATED -> {
                PrototypeEstimator.Settings e = s.estimation();
                int iterations = s.estimationIterations();
                PrototypeEstimator.Result r = PrototypeEstimator.estimate(k, d,
                        new PrototypeEstimator.Settings(e.objective(), iterations, e.learningRate(), e.tolerance()),
                        s.seed());
                seed = OptionalLong.of(s.seed());
                params.put("objective", e.objective().configName());
                params.put("iterations", iterations);
                params.put("steps", r.steps());
                params.put("learning_rate", e.learningRate());
                if (e.objective() == EstimationObjective.NEAR_ORTHOGONAL) {
                    params.put("tolerance", e.tolerance());
                }
                params.put("initial_max_cosine", r.initialMaxCosine());
                rows = r.rows();
            }
            default -> throw new IllegalStateException("unhandled prototype kind " + s.kind());
        }
        return PrototypeSet.adopt(s.kind(), scale(rows, u), params, seed);
    }

    private static double[][] scale(double[][] rows, double u) {
        if (u == 1.0) {
            return rows;
        }
        for (double[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] *= u;
            }
        }
        return rows;
    }
}
