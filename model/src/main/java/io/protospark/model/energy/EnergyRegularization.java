package io.protospark.model.energy;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Objects;

/**
 * A hyperspherical energy regulariser (MHE / CoMHE) on one layer's weight parameter, as a DL4J
 * {@link Regularization}: DL4J calls {@link #apply} with the parameter and its gradient view before the updater
 * (adding weight·∇E) and adds {@link #score} to the network score. The neurons are the rows of the weight in
 * {@link NeuronRows} layout.
 *
 * <p>Projections (CoMHE):
 * <ul>
 *   <li>{@link ProjectionKind#RANDOM}: n_p Gaussian N(0, 1) matrices of d_p × fan-in, drawn anew every iteration
 *   from ND4J's native generator seeded with a hash of (seed, layer salt, iteration), so every worker of a Spark
 *   parameter-averaging round draws the same projections at the same iteration and a rerun draws the same ones.
 *   Energy and gradient are the mean over the n_p projected neuron sets (the seed draws from a TF random op instead,
 *   not reproducible across runs).</li>
 *   <li>{@link ProjectionKind#ANGLE_PRESERVING}: one P (d_p × fan-in, initialised N(0, 1) from the seed). Before the
 *   layer's gradient is formed, P takes {@code steps} plain SGD steps (step size = the layer's current learning rate)
 *   on L_P = ‖Cos(PW) − Cos(W)‖_F + 1e-3·(5e-4·‖P‖²/2); the energy then uses the one-step look-ahead
 *   P′ = P − lr·∇L_P, as the seed does. The seed's TensorFlow graph would also differentiate the network loss
 *   through P′ (a term of order lr²); protospark holds P′ fixed for the weight gradient.</li>
 *   <li>{@link ProjectionKind#ADVERSARIAL}: the same with gradient ascent on the full-space s = 2 energy of PW minus
 *   the same small L2 on P ({@code steps} = 10 in the seed) and the look-ahead P′ = P + lr·∇.</li>
 * </ul>
 *
 * <p>State of the learnable kinds. P is state of this regulariser object, not a network parameter (DL4J's stock
 * layers have a fixed parameter set), so it travels with the network configuration instead: it is serialised with the
 * configuration's JSON as {@code projectionState} (base64 of its raw little-endian doubles, exact and compact) together
 * with {@code projectionIteration}, the network iteration P has been advanced to; it is kept in Java-serialisable
 * fields (Spark broadcasts), and {@link #clone} copies it. {@code ModelSerializer} therefore saves and restores it with
 * the model, and a Spark worker that rebuilds its network from the broadcast configuration starts from the driver's
 * current P. Parameter averaging does not average P; the driver advances its own copy instead after each averaging
 * round ({@link EnergyRegularizers#advanceProjections}: the seed's P steps, {@code steps} per network iteration the
 * round trained, on the averaged weights), and the workers' own P steps during the round are discarded with their
 * networks. P is also skipped when DL4J passes no usable learning rate (e.g. the {@code NoOp} updater). The random
 * projections need no state. {@link #score} never changes P; for the learnable kinds it uses the projection that the
 * last {@link #apply} used (or P before the first).
 *
 * <p>Score and update share work: DL4J computes a layer's regularisation score (in the forward/backward pass) before
 * it applies the regularisers' gradients (before the updater), with the same weights and iteration. For the plain
 * and random kinds the first {@link #score} of an iteration computes the gradient too and keeps it; {@link #apply}
 * reuses it when the weights are bit-identical and the iteration is the same, and computes afresh otherwise.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class EnergyRegularization implements Regularization {
    private static final long serialVersionUID = 1L;
    /** The seeds' L2 on P: 1e-3 × (5e-4 · ‖P‖² / 2). */
    static final double P_L2 = 1e-3 * 5e-4;
    /** Most cosine values (projections × neurons²) that the batched random-projection energy holds at once. */
    static final long GRAM_BUDGET = 1L << 22;

    private EnergyForm form;
    private boolean halfSpace;
    private double weight;
    private int neurons;
    private ProjectionKind projection = ProjectionKind.NONE;
    private int projectionDim;
    private int projections;
    private int steps;
    private long seed;
    private long salt;

    /** The network iteration the learnable P has been advanced to (its P steps for iterations before it are done). */
    private long projectionIteration;
    /** P's values (d_p × fan-in, c order) for Java serialisation and JSON; null until P is first used. */
    @JsonIgnore
    private double[] projectionValues;

    @JsonIgnore
    private transient INDArray p;
    @JsonIgnore
    private transient INDArray lastUsed;
    /** The gradient {@link #score} computed, with the weights and iteration it belongs to. */
    @JsonIgnore
    private transient INDArray cachedW;
    @JsonIgnore
    private transient INDArray cachedGrad;
    @JsonIgnore
    private transient int cachedIteration;
    @JsonIgnore
    private transient boolean scoredOnce;
    @JsonIgnore
    private transient int lastScored;

    /** For Jackson. */
    private EnergyRegularization() {
    }

    private EnergyRegularization(EnergyForm form, boolean halfSpace, double weight, int neurons,
                                 ProjectionKind projection, int projectionDim, int projections, int steps, long seed,
                                 long salt) {
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("energy weight must be finite and >= 0, found " + weight);
        }
        if (neurons <= 0) {
            throw new IllegalArgumentException("neurons must be positive, found " + neurons);
        }
        this.form = Objects.requireNonNull(form, "form");
        this.halfSpace = halfSpace;
        this.weight = weight;
        this.neurons = neurons;
        this.projection = Objects.requireNonNull(projection, "projection");
        this.projectionDim = projectionDim;
        this.projections = projections;
        this.steps = steps;
        this.seed = seed;
        this.salt = salt;
        if (projection != ProjectionKind.NONE && projectionDim <= 0) {
            throw new IllegalArgumentException("projection dimension must be positive, found " + projectionDim);
        }
        if (projection == ProjectionKind.RANDOM && projections <= 0) {
            throw new IllegalArgumentException("number of projections must be positive, found " + projections);
        }
        if (projection.learnable() && steps < 0) {
            throw new IllegalArgumentException("projection steps must be >= 0, found " + steps);
        }
    }

    /** Unprojected (MHE) energy of a layer with {@code neurons} neurons. */
    public static EnergyRegularization plain(EnergyForm form, boolean halfSpace, double weight, int neurons) {
        return new EnergyRegularization(form, halfSpace, weight, neurons, ProjectionKind.NONE, 0, 0, 0, 0, 0);
    }

    /** Random-projection CoMHE: {@code projections} fresh d_p-dimensional projections per iteration. */
    public static EnergyRegularization random(EnergyForm form, boolean halfSpace, double weight, int neurons,
                                              int projectionDim, int projections, long seed, long salt) {
        return new EnergyRegularization(form, halfSpace, weight, neurons, ProjectionKind.RANDOM, projectionDim,
                projections, 0, seed, salt);
    }

    /** Angle-preserving or adversarial CoMHE with one learnable P and {@code steps} P steps per iteration. */
    public static EnergyRegularization learned(ProjectionKind kind, EnergyForm form, boolean halfSpace, double weight,
                                               int neurons, int projectionDim, int steps, long seed, long salt) {
        if (!kind.learnable()) {
            throw new IllegalArgumentException(kind + " has no learnable projection");
        }
        return new EnergyRegularization(form, halfSpace, weight, neurons, kind, projectionDim, 0, steps, seed, salt);
    }

    public EnergyForm form() {
        return form;
    }

    public boolean halfSpace() {
        return halfSpace;
    }

    public double weight() {
        return weight;
    }

    public int neurons() {
        return neurons;
    }

    public ProjectionKind projection() {
        return projection;
    }

    public int projectionDim() {
        return projectionDim;
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.BEFORE_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (weight == 0) {
            return;
        }
        // outside DL4J's workspaces: P and the last projection outlive this call
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            applyDetached(param, gradView, lr, iteration);
        }
    }

    private void applyDetached(INDArray param, INDArray gradView, double lr, int iteration) {
        INDArray w = NeuronRows.read(param, neurons);
        INDArray grad;
        switch (projection) {
            case NONE:
            case RANDOM:
                grad = takeCached(w, iteration);
                if (grad == null) {
                    grad = projection == ProjectionKind.NONE
                            ? HypersphericalEnergy.compute(w, form, halfSpace, true).gradient()
                            : randomProjected(w, iteration, true).gradient();
                }
                break;
            default:
                INDArray used = stepProjection(w, lr, iteration);
                grad = projected(w, used, true).gradient();
                break;
        }
        NeuronRows.addTo(gradView, grad.muli(weight));
    }

    /** The gradient {@link #score} kept for exactly these weights at this iteration, or null; clears the cache. */
    private synchronized INDArray takeCached(INDArray w, int iteration) {
        INDArray g = cachedGrad;
        boolean same = g != null && cachedIteration == iteration && cachedW.length() == w.length()
                && java.util.Arrays.equals(cachedW.data().asDouble(), w.data().asDouble());
        cachedW = null;
        cachedGrad = null;
        return same ? g : null;
    }

    private synchronized void keep(INDArray w, INDArray grad, int iteration) {
        cachedW = w;
        cachedGrad = grad;
        cachedIteration = iteration;
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        if (weight == 0) {
            return 0;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return scoreDetached(param, iteration);
        }
    }

    private double scoreDetached(INDArray param, int iteration) {
        INDArray w = NeuronRows.read(param, neurons);
        HypersphericalEnergy.Result r;
        boolean withGradient;
        synchronized (this) {
            // the first score of an iteration (training: the only one) forms the gradient for apply; further scores
            // at the same iteration (finite differences, repeated evaluation) need the energy only
            withGradient = !scoredOnce || iteration != lastScored;
            scoredOnce = true;
            lastScored = iteration;
        }
        switch (projection) {
            case NONE:
                r = HypersphericalEnergy.compute(w, form, halfSpace, withGradient);
                if (withGradient) {
                    keep(w, r.gradient(), iteration);
                }
                break;
            case RANDOM:
                r = randomProjected(w, iteration, withGradient);
                if (withGradient) {
                    keep(w, r.gradient(), iteration);
                }
                break;
            default:
                INDArray used;
                synchronized (this) {
                    used = lastUsed != null ? lastUsed : projectionState(w.columns());
                }
                r = projected(w, used, false);
                break;
        }
        return weight * r.energy();
    }

    /** The current learnable P (a copy), initialising it from the seed if needed. */
    public synchronized INDArray projectionMatrix(int fanIn) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return projectionState(fanIn).dup();
        }
    }

    /** The learnable P as drawn from the seed, before any step (what a network rebuilt without P would start from). */
    public INDArray initialProjection(long fanIn) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray init = Nd4j.createUninitialized(DataType.DOUBLE, projectionDim, fanIn);
            gaussian(init, mix(seed, salt, -1));
            return init;
        }
    }

    // ------------------------------------------------------------------ projections

    /** Energy of the rows projected by P (V = W·Pᵀ) and its gradient with respect to W. */
    private HypersphericalEnergy.Result projected(INDArray w, INDArray proj, boolean gradient) {
        HypersphericalEnergy.Result r = HypersphericalEnergy.compute(w.mmul(proj.transpose()), form, halfSpace, gradient);
        return new HypersphericalEnergy.Result(r.energy(), gradient ? r.gradient().mmul(proj) : null);
    }

    /**
     * Mean energy over the iteration's n_p random projections and its gradient, batched: the (half-space) neurons are
     * projected by all n_p stacked projections in one GEMM, normalised per projection, and the n_p Gram matrices, the
     * pair terms and the way back run as batched products over groups of projections (a group's Gram matrices held
     * at once stay below {@link #GRAM_BUDGET} values), then one GEMM maps the gradient back to the weights.
     * Same result as the energy of each projected set ({@link HypersphericalEnergy#compute}) averaged.
     */
    private HypersphericalEnergy.Result randomProjected(INDArray w, int iteration, boolean gradient) {
        return randomProjected(w, iteration, gradient, GRAM_BUDGET);
    }

    /** {@link #randomProjected(INDArray, int, boolean)} with a given budget of cosine values held at once. */
    HypersphericalEnergy.Result randomProjected(INDArray w, int iteration, boolean gradient, long gramBudget) {
        INDArray all = randomProjections(w.columns(), iteration);
        INDArray x = halfSpace ? Nd4j.vstack(w, w.neg()) : w;
        int n = (int) x.rows();
        int k = projections;
        int d = projectionDim;
        if (n < 2) {
            return new HypersphericalEnergy.Result(0.0, gradient ? Nd4j.zeros(DataType.DOUBLE, w.shape()) : null);
        }
        // V^T for every projection: [k, d, n], neurons as columns
        INDArray vt = all.mmul(x.transpose()).reshape('c', k, d, n);
        INDArray gvt = gradient ? Nd4j.createUninitialized(DataType.DOUBLE, k, d, n) : null;
        double pairs = n * (n - 1) / 2.0;
        int group = (int) Math.max(1, Math.min(k, gramBudget / ((long) n * n)));
        double sum = 0;
        for (int from = 0; from < k; from += group) {
            int to = Math.min(k, from + group);
            int g = to - from;
            INDArray v = vt.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray norms = Transforms.sqrt(v.mul(v).sum(1).addi(HypersphericalEnergy.NORM_EPS), false); // [g, n]
            INDArray u = Broadcast.div(v, norms, Nd4j.createUninitialized(DataType.DOUBLE, g, d, n), 0, 2);
            double[] c = Nd4j.matmul(u, u, null, true, false, false).dup('c').data().asDouble(); // [g, n, n]
            double[] dc = gradient ? new double[c.length] : null;
            for (int b = 0; b < g; b++) {
                int base = b * n * n;
                for (int i = 0; i < n; i++) {
                    int row = base + i * n;
                    for (int j = i + 1; j < n; j++) {
                        double cij = c[row + j];
                        sum += form.term(cij);
                        if (gradient) {
                            double dd = form.derivative(cij) / (pairs * k);
                            dc[row + j] = dd;
                            dc[base + j * n + i] = dd;
                        }
                    }
                }
            }
            if (gradient) {
                // dL/dU = U·F' per projection (F' symmetric), then back through the normalisation
                INDArray gu = Nd4j.matmul(u, Nd4j.create(dc, new long[]{g, n, n}, 'c'));
                INDArray dot = gu.mul(u).sum(1);
                gu.subi(Broadcast.mul(u, dot, Nd4j.createUninitialized(DataType.DOUBLE, g, d, n), 0, 2));
                Broadcast.div(gu, norms, gu, 0, 2);
                gvt.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()).assign(gu);
            }
        }
        double energy = sum / pairs / k;
        if (!gradient) {
            return new HypersphericalEnergy.Result(energy, null);
        }
        INDArray gx = gvt.reshape('c', (long) k * d, n).transpose().mmul(all); // [n, fanIn]
        if (halfSpace) {
            int half = n / 2;
            gx = gx.get(NDArrayIndex.interval(0, half), NDArrayIndex.all())
                    .sub(gx.get(NDArrayIndex.interval(half, n), NDArrayIndex.all()));
        }
        return new HypersphericalEnergy.Result(energy, gx);
    }

    /** The n_p stacked projections (n_p·d_p × fanIn) of an iteration: N(0, 1), reproducible from (seed, salt, it). */
    INDArray randomProjections(long fanIn, int iteration) {
        INDArray all = Nd4j.createUninitialized(DataType.DOUBLE, (long) projections * projectionDim, fanIn);
        gaussian(all, mix(seed, salt, iteration));
        return all;
    }

    private static void gaussian(INDArray target, long seed) {
        try (org.nd4j.linalg.api.rng.Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed)) {
            Nd4j.getExecutioner().exec(new GaussianDistribution(target, 0.0, 1.0), rng);
        } catch (Exception e) {
            throw new IllegalStateException("cannot draw a random projection", e);
        }
    }

    /** A 64-bit mix of seed, salt and iteration (SplitMix64 finaliser). */
    static long mix(long seed, long salt, long iteration) {
        long z = seed * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L + iteration * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private INDArray projectionState(long fanIn) {
        if (p == null && projectionValues != null) {
            if (projectionValues.length != projectionDim * fanIn) {
                // a stored P that does not fit this layer: another network's configuration, or an edited one
                throw new IllegalStateException("the stored CoMHE projection (projectionState) holds "
                        + projectionValues.length + " values, but this layer needs projection-dim x fan-in = "
                        + projectionDim + " x " + fanIn + " = " + projectionDim * fanIn
                        + "; remove projectionState to start P from its seed");
            }
            p = Nd4j.create(projectionValues, new long[]{projectionDim, fanIn}, 'c');
        }
        if (p == null || p.columns() != fanIn) {
            p = initialProjection(fanIn);
            projectionValues = p.data().asDouble();
        }
        return p;
    }

    /** Runs the P steps for this iteration and returns the look-ahead projection the energy uses. */
    private synchronized INDArray stepProjection(INDArray w, double lr, int iteration) {
        INDArray proj = projectionState(w.columns());
        if (!(lr > 0) || Double.isInfinite(lr)) {
            lastUsed = proj.dup();
            return lastUsed;
        }
        double sign = projection == ProjectionKind.ADVERSARIAL ? 1.0 : -1.0;
        for (int s = 0; s < steps; s++) {
            proj.addi(projectionObjectiveGradient(w, proj).muli(sign * lr));
        }
        projectionValues = proj.data().asDouble();
        projectionIteration = Math.max(projectionIteration, iteration + 1L);
        lastUsed = proj.add(projectionObjectiveGradient(w, proj).muli(sign * lr));
        return lastUsed;
    }

    /**
     * Catches the learnable P up with the network (the driver's side of {@link EnergyRegularizers#advanceProjections}):
     * for every network iteration from {@link #projectionIteration()} up to {@code iteration} (exclusive) P takes its
     * {@code steps} steps on the weights {@code param}, with step size {@code lr}; afterwards P is at
     * {@code iteration}. Without a usable learning rate P stays and only its iteration moves. No-op for the other
     * kinds.
     *
     * @return the P steps taken
     */
    public synchronized long advanceTo(INDArray param, double lr, long iteration) {
        if (!projection.learnable() || weight == 0 || iteration <= projectionIteration) {
            return 0;
        }
        long behind = iteration - projectionIteration;
        projectionIteration = iteration;
        if (!(lr > 0) || Double.isInfinite(lr) || steps == 0) {
            return 0;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray w = NeuronRows.read(param, neurons);
            INDArray proj = projectionState(w.columns());
            double sign = projection == ProjectionKind.ADVERSARIAL ? 1.0 : -1.0;
            long total = behind * steps;
            for (long s = 0; s < total; s++) {
                proj.addi(projectionObjectiveGradient(w, proj).muli(sign * lr));
            }
            projectionValues = proj.data().asDouble();
            lastUsed = null;
            return total;
        }
    }

    /** The network iteration P has been advanced to (0 for the kinds without P). */
    public synchronized long projectionIteration() {
        return projectionIteration;
    }

    /** Whether a learnable P has been drawn or restored (it is drawn lazily, at its first use). */
    public synchronized boolean hasProjectionState() {
        return projectionValues != null;
    }

    /** P as base64 of its raw little-endian doubles (c order), for the configuration JSON; null before P exists. */
    @JsonProperty("projectionState")
    @org.nd4j.shade.jackson.annotation.JsonInclude(org.nd4j.shade.jackson.annotation.JsonInclude.Include.NON_NULL)
    private synchronized String projectionStateJson() {
        if (projectionValues == null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(projectionValues.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(projectionValues);
        return Base64.getEncoder().encodeToString(b.array());
    }

    @JsonProperty("projectionState")
    private synchronized void projectionStateJson(String base64) {
        p = null;
        lastUsed = null;
        if (base64 == null) {
            projectionValues = null;
            return;
        }
        byte[] bytes = Base64.getDecoder().decode(base64);
        if (bytes.length % Double.BYTES != 0) {
            throw new IllegalArgumentException("projectionState holds " + bytes.length
                    + " bytes, not a whole number of doubles");
        }
        double[] v = new double[bytes.length / Double.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(v);
        projectionValues = v;
    }

    /** ∇_P of the projection's own objective: L_P for angle-preserving, E(PW) − L2 (to ascend) for adversarial. */
    INDArray projectionObjectiveGradient(INDArray w, INDArray proj) {
        return projection == ProjectionKind.ANGLE_PRESERVING
                ? anglePreservingGradient(w, proj) : adversarialGradient(w, proj);
    }

    /** L_P = ‖Cos(PW) − Cos(W)‖_F + 1e-3·(5e-4·‖P‖²/2) for neurons as rows (V = W·Pᵀ). */
    static double anglePreservingObjective(INDArray w, INDArray proj) {
        INDArray d = HypersphericalEnergy.cosines(w.mmul(proj.transpose())).subi(HypersphericalEnergy.cosines(w));
        return Math.sqrt(d.mul(d).sumNumber().doubleValue()) + P_L2 * 0.5 * proj.mul(proj).sumNumber().doubleValue();
    }

    static INDArray anglePreservingGradient(INDArray w, INDArray proj) {
        INDArray v = w.mmul(proj.transpose());
        INDArray norms = HypersphericalEnergy.norms(v);
        INDArray u = v.divColumnVector(norms);
        INDArray d = u.mmul(u.transpose()).subi(HypersphericalEnergy.cosines(w));
        double frob = Math.sqrt(d.mul(d).sumNumber().doubleValue());
        INDArray grad = proj.mul(P_L2);
        if (frob > 0) {
            INDArray gu = d.divi(frob).mmul(u).muli(2.0);
            INDArray gv = HypersphericalEnergy.throughNormalisation(gu, u, norms);
            grad.addi(gv.transpose().mmul(w));
        }
        return grad;
    }

    /** ∇_P [E_full,s=2(PW) − 1e-3·(5e-4·‖P‖²/2)], the adversary's ascent direction. */
    static INDArray adversarialGradient(INDArray w, INDArray proj) {
        INDArray gv = HypersphericalEnergy.compute(w.mmul(proj.transpose()), EnergyForm.S2, false, true).gradient();
        return gv.transpose().mmul(w).subi(proj.mul(P_L2));
    }

    @Override
    public Regularization clone() {
        EnergyRegularization c = new EnergyRegularization(form, halfSpace, weight, neurons, projection, projectionDim,
                projections, steps, seed, salt);
        synchronized (this) {
            c.projectionIteration = projectionIteration;
            c.projectionValues = projectionValues == null ? null : projectionValues.clone();
            c.lastUsed = lastUsed == null ? null : lastUsed.dup();
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EnergyRegularization r && r.form == form && r.halfSpace == halfSpace
                && r.weight == weight && r.neurons == neurons && r.projection == projection
                && r.projectionDim == projectionDim && r.projections == projections && r.steps == steps
                && r.seed == seed && r.salt == salt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(form, halfSpace, weight, neurons, projection, projectionDim, projections, steps, seed, salt);
    }

    @Override
    public String toString() {
        return "EnergyRegularization(form=" + form.configName() + ", half-space=" + halfSpace + ", weight=" + weight
                + ", neurons=" + neurons + ", projection=" + projection.configName()
                + (projection == ProjectionKind.NONE ? "" : ", d_p=" + projectionDim)
                + (projection == ProjectionKind.RANDOM ? ", n_p=" + projections : "")
                + (projection.learnable() ? ", steps=" + steps : "") + ")";
    }
}
