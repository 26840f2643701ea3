package io.protospark.model.prototype;

import java.util.Objects;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Estimates K well-spread unit prototypes in any dimension d (also d &lt; K − 1, where no regular simplex fits) by
 * projected gradient descent on the sphere: each step moves every row along the tangent part of the objective's
 * gradient and renormalises it.
 *
 * <p>Objectives: {@link EstimationObjective#SPREAD} (this project's default), DL2PA's uniformity loss
 * (Saadabadi et al., "Hyperspherical Classification with Dynamic Label-to-Prototype Assignment", CVPR 2024),
 * HPN's max-cosine loss (Mettes et al., "Hyperspherical Prototype Networks", NeurIPS 2019) and EBV's
 * near-orthogonality target (Shen et al., "Equiangular Basis Vectors", CVPR 2023). Differences from the seeds:
 * every objective works on unit rows and takes tangent steps (DL2PA saves its raw, nearly-unit parameter; HPN and
 * EBV renormalise after a full step), and DL2PA's prototype batches are one batch of all K.
 *
 * <p>Reproducible: the start is drawn from {@code java.util.Random(seed)} and every number is computed by the same
 * sequential code whatever the number of threads (rows are split across the common fork-join pool, each row's sums
 * run in a fixed order), so the same seed gives a bit-identical matrix on any JVM and machine.
 *
 * <p>Cost: a step is one Gram matrix (K²d/2 multiply-adds) and one weighted sum W·P (up to K²d, zero weights
 * skipped). Plain Java loops were chosen over ND4J gemm for that bit-identity: on the 2-core development machine one
 * dense step for K = 1000, d = 512 took about 0.55 s single-threaded in Java and 0.2–0.3 s with ND4J/OpenBLAS;
 * the automatic iteration count ({@link PrototypeSpec#estimationIterations()}) keeps that size near 15 s.
 */
public final class PrototypeEstimator {
    /** DL2PA's temperature t of the uniformity loss. */
    static final double UNIFORMITY_T = 2.0;
    /** EBV stops once max |cos| ≤ τ + this. */
    static final double EBV_SLACK = 1e-4;

    private PrototypeEstimator() {
    }

    /** The settings of one estimation. */
    public record Settings(EstimationObjective objective, int iterations, double learningRate, double tolerance) {
        public Settings {
            Objects.requireNonNull(objective, "objective");
            if (iterations < 0) {
                throw new IllegalArgumentException("iterations must be >= 0, got " + iterations);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
            }
            if (!(tolerance >= 0 && tolerance < 1)) {
                throw new IllegalArgumentException("tolerance must lie in [0, 1), got " + tolerance);
            }
        }
    }

    /**
     * The outcome: unit rows, the steps taken, max pairwise cosine before and after, and the wall time.
     * {@code maxCosineTrace[s]} is the max cosine after s steps, for s = 0..steps.
     */
    public record Result(double[][] rows, int steps, double[] maxCosineTrace, double seconds) {
        public double initialMaxCosine() {
            return maxCosineTrace[0];
        }
    }

    /** Estimates K prototypes in d dimensions. */
    public static Result estimate(int classes, int dimension, Settings s, long seed) {
        if (classes < 2) {
            throw new IllegalArgumentException("estimation needs at least 2 classes, got " + classes);
        }
        if (dimension < 2) {
            throw new IllegalArgumentException("estimation needs d >= 2, got " + dimension);
        }
        long start = System.nanoTime();
        State st = new State(classes, dimension);
        initialise(st, s.objective(), seed);
        double[] trace = new double[s.iterations() + 1];
        double[] best = st.p.clone();
        boolean ebv = s.objective() == EstimationObjective.NEAR_ORTHOGONAL;
        trace[0] = st.gram();
        // SPREAD keeps its lowest max cosine; EBV its lowest max |cos| (its own target); the others end where they end
        double bestScore = ebv ? st.maxAbsCosine() : trace[0];
        int steps = 0;
        boolean keepBest = s.objective() == EstimationObjective.SPREAD || ebv;
        for (int t = 0; t < s.iterations(); t++) {
            if (s.objective() == EstimationObjective.NEAR_ORTHOGONAL
                    && st.maxAbsCosine() <= s.tolerance() + EBV_SLACK) {
                break;
            }
            double lr = s.learningRate();
            switch (s.objective()) {
                case SPREAD -> {
                    double frac = s.iterations() == 1 ? 1.0 : (double) t / (s.iterations() - 1);
                    double scale = Math.sqrt(dimension);
                    double beta = BETA0 * scale * Math.pow(BETA1 / BETA0, frac);
                    lr = s.learningRate() * (LR_FLOOR + (1 - LR_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * frac)));
                    st.spreadWeights(beta);
                }
                case UNIFORMITY -> st.uniformityWeights(UNIFORMITY_T);
                case MAX_COSINE -> st.maxCosineWeights();
                case NEAR_ORTHOGONAL -> st.nearOrthogonalWeights(s.tolerance());
                default -> throw new IllegalStateException("unhandled objective " + s.objective());
            }
            st.step(lr);
            double max = st.gram();
            steps++;
            trace[steps] = max;
            double score = ebv ? st.maxAbsCosine() : max;
            if (keepBest && score < bestScore) {
                bestScore = score;
                System.arraycopy(st.p, 0, best, 0, best.length);
            }
        }
        double[] out = keepBest ? best : st.p;
        double[] finalTrace = java.util.Arrays.copyOf(trace, steps + 1);
        return new Result(unflatten(out, classes, dimension), steps, finalTrace, (System.nanoTime() - start) / 1e9);
    }

    /** Start of β·√d for {@link EstimationObjective#SPREAD}. */
    static final double BETA0 = 2.0;
    /** End of β·√d for {@link EstimationObjective#SPREAD}. */
    static final double BETA1 = 100.0;
    /** The step decays (cosine schedule) from the learning rate to this fraction of it. */
    static final double LR_FLOOR = 0.05;

    /**
     * DL2PA's uniformity loss of unit rows: log mean_{i&lt;j} exp(−t·‖p_i − p_j‖²). For a regular simplex of K
     * points it is −2t·K/(K−1), the lowest value any K unit vectors reach.
     */
    public static double uniformityLoss(double[][] p, double t) {
        int k = p.length;
        double max = Double.NEGATIVE_INFINITY;
        double[] e = new double[k * (k - 1) / 2];
        int n = 0;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                double d2 = 0;
                for (int c = 0; c < p[i].length; c++) {
                    double x = p[i][c] - p[j][c];
                    d2 += x * x;
                }
                e[n] = -t * d2;
                max = Math.max(max, e[n]);
                n++;
            }
        }
        double sum = 0;
        for (double v : e) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum / e.length);
    }

    private static void initialise(State st, EstimationObjective objective, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < st.p.length; i++) {
            // DL2PA starts from uniform(-1, 1); HPN and EBV from a Gaussian
            st.p[i] = objective == EstimationObjective.UNIFORMITY ? 2 * random.nextDouble() - 1 : random.nextGaussian();
        }
        st.normalise();
    }

    private static double[][] unflatten(double[] flat, int k, int d) {
        double[][] m = new double[k][d];
        for (int i = 0; i < k; i++) {
            System.arraycopy(flat, i * d, m[i], 0, d);
        }
        return m;
    }

    /** Rows P (K×d, flat), their Gram matrix G and the gradient weights W (K×K, flat): gradient = W·P. */
    private static final class State {
        final int k;
        final int d;
        final double[] p;
        final double[] g;
        final double[] w;
        final double[] grad;

        State(int k, int d) {
            this.k = k;
            this.d = d;
            this.p = new double[k * d];
            this.g = new double[k * k];
            this.w = new double[k * k];
            this.grad = new double[k * d];
        }

        void normalise() {
            for (int i = 0; i < k; i++) {
                double n = 0;
                for (int c = 0; c < d; c++) {
                    n += p[i * d + c] * p[i * d + c];
                }
                n = Math.sqrt(n);
                for (int c = 0; c < d; c++) {
                    p[i * d + c] /= n;
                }
            }
        }

        /** G = P·Pᵀ (both halves written); returns the max off-diagonal entry. */
        double gram() {
            // task i handles rows i and k-1-i so the triangular work is balanced
            int tasks = (k + 1) / 2;
            return IntStream.range(0, tasks).parallel().mapToDouble(task -> {
                double m = Double.NEGATIVE_INFINITY;
                m = Math.max(m, gramRow(task));
                int other = k - 1 - task;
                if (other != task) {
                    m = Math.max(m, gramRow(other));
                }
                return m;
            }).max().orElse(Double.NaN);
        }

        private double gramRow(int i) {
            double m = Double.NEGATIVE_INFINITY;
            int oi = i * d;
            g[i * k + i] = dot(oi, oi);
            for (int j = i + 1; j < k; j++) {
                double s = dot(oi, j * d);
                g[i * k + j] = s;
                g[j * k + i] = s;
                m = Math.max(m, s);
            }
            // also the entries left of the diagonal, written by rows j < i (max is taken over all tasks anyway)
            return m;
        }

        private double dot(int oa, int ob) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int c = 0;
            for (; c + 3 < d; c += 4) {
                s0 += p[oa + c] * p[ob + c];
                s1 += p[oa + c + 1] * p[ob + c + 1];
                s2 += p[oa + c + 2] * p[ob + c + 2];
                s3 += p[oa + c + 3] * p[ob + c + 3];
            }
            for (; c < d; c++) {
                s0 += p[oa + c] * p[ob + c];
            }
            return (s0 + s1) + (s2 + s3);
        }

        double maxAbsCosine() {
            double m = 0;
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    m = Math.max(m, Math.abs(g[i * k + j]));
                }
            }
            return m;
        }

        /** W = S + Sᵀ with S the row-wise softmax of β·G off the diagonal. */
        void spreadWeights(double beta) {
            IntStream.range(0, k).parallel().forEach(i -> {
                int oi = i * k;
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    if (j != i) {
                        m = Math.max(m, g[oi + j]);
                    }
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    double x = j == i ? Double.NEGATIVE_INFINITY : beta * (g[oi + j] - m);
                    double e = x < -30 ? 0.0 : Math.exp(x);
                    w[oi + j] = e;
                    sum += e;
                }
                for (int j = 0; j < k; j++) {
                    w[oi + j] /= sum;
                }
            });
            symmetrise();
        }

        /** DL2PA: ∂/∂p_i of log Σ_{i&lt;j} exp(2t·c_ij) = Σ_j 2t·a_ij p_j with a the pair softmax. */
        void uniformityWeights(double t) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    m = Math.max(m, g[i * k + j]);
                }
            }
            double sum = 0;
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    double e = Math.exp(2 * t * (g[i * k + j] - m));
                    w[i * k + j] = e;
                    w[j * k + i] = e;
                    sum += e;
                }
                w[i * k + i] = 0;
            }
            double f = 2 * t / sum;
            for (int i = 0; i < w.length; i++) {
                w[i] *= f;
            }
        }

        /** HPN: ∂/∂p of mean_i max_j (c_ij + 1): each row's nearest neighbour j*, both ends get 1/K. */
        void maxCosineWeights() {
            java.util.Arrays.fill(w, 0.0);
            for (int i = 0; i < k; i++) {
                int arg = -1;
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    if (j != i && g[i * k + j] > m) {
                        m = g[i * k + j];
                        arg = j;
                    }
                }
                w[i * k + arg] += 1.0 / k;
                w[arg * k + i] += 1.0 / k;
            }
        }

        /** EBV: ∂/∂p of Σ_{i≠j} relu(|c_ij| − τ) = Σ_j 2·sign(c_ij)·[|c_ij| > τ] p_j. */
        void nearOrthogonalWeights(double tau) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    double c = g[i * k + j];
                    w[i * k + j] = i != j && Math.abs(c) > tau ? 2 * Math.signum(c) : 0.0;
                }
            }
        }

        private void symmetrise() {
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    double s = w[i * k + j] + w[j * k + i];
                    w[i * k + j] = s;
                    w[j * k + i] = s;
                }
            }
        }

        /** p_i ← normalise(p_i − lr·(grad_i − (grad_i·p_i) p_i)) with grad = W·P. */
        void step(double lr) {
            IntStream.range(0, k).parallel().forEach(i -> {
                int oi = i * d;
                int ow = i * k;
                java.util.Arrays.fill(grad, oi, oi + d, 0.0);
                for (int j = 0; j < k; j++) {
                    double a = w[ow + j];
                    if (a != 0.0) {
                        int oj = j * d;
                        for (int c = 0; c < d; c++) {
                            grad[oi + c] += a * p[oj + c];
                        }
                    }
                }
            });
            // all gradients are computed from the old P before any row moves
            IntStream.range(0, k).parallel().forEach(i -> {
                int oi = i * d;
                double radial = 0;
                for (int c = 0; c < d; c++) {
                    radial += grad[oi + c] * p[oi + c];
                }
                double n = 0;
                for (int c = 0; c < d; c++) {
                    double v = p[oi + c] - lr * (grad[oi + c] - radial * p[oi + c]);
                    p[oi + c] = v;
                    n += v * v;
                }
                n = Math.sqrt(n);
                for (int c = 0; c < d; c++) {
                    p[oi + c] /= n;
                }
            });
        }
    }
}
