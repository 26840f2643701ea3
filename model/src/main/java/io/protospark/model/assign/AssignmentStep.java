package io.protospark.model.assign;

import io.protospark.model.prototype.PrototypeSet;

/**
 * The driver's between-epoch step of dynamic label-to-prototype assignment (DL2PA): class memory → cosine
 * matrix against the prototypes → an exact maximum-cosine assignment → the permuted head.
 *
 * <p>The memory is {@link ClassMemory.Ema}, rows renormalised, fed in one of two ways: per minibatch on the workers,
 * whose copies the driver merges after each averaging round ({@link #memory}, {@link #mergeRound}, then
 * {@link #resolve}; DL2PA's), or once per re-solve with the per-class sums of a pass over the training split
 * ({@link #update}).
 */
public final class AssignmentStep {
    private final PrototypeSet prototypes;
    private final double momentum;
    private ClassMemory.Ema memory;
    private final int denseUpTo;
    private final CosineAssignment.BlockSource candidates;
    private float[] unitPrototypes;
    private int[] assignment;

    /** What one re-solve did. */
    public record Outcome(int[] assignment, int changed, double meanCosine) {
    }

    /**
     * @param prototypes the base prototypes (row j = prototype j), never permuted themselves
     * @param momentum   weight of the previous memory in the moving average, in [0, 1)
     */
    public AssignmentStep(PrototypeSet prototypes, double momentum) {
        this(prototypes, momentum, Integer.MAX_VALUE, null);
    }

    /**
     * @param denseUpTo largest K solved on the dense K×K cosine matrix; above it the sparse solver runs with
     *                  candidates from {@code candidates} (for example computed on the executors)
     */
    public AssignmentStep(PrototypeSet prototypes, double momentum, int denseUpTo,
                          CosineAssignment.BlockSource candidates) {
        this.prototypes = prototypes;
        this.momentum = momentum;
        this.denseUpTo = denseUpTo;
        this.candidates = candidates;
        this.assignment = java.util.stream.IntStream.range(0, prototypes.classes()).toArray();
    }

    /** Class k owns prototype {@code assignment()[k]}. */
    public int[] assignment() {
        return assignment.clone();
    }

    /** The head matrix for the current assignment: row k = the prototype class k owns. */
    public PrototypeSet head() {
        return prototypes.permuted(assignment);
    }

    /** The class memory the assignment is solved from, or empty before there is one. */
    public java.util.Optional<ClassMemory.Ema> currentMemory() {
        return java.util.Optional.ofNullable(memory);
    }

    /**
     * Puts a saved state back (a resumed run): the assignment in force and the class memory, or {@code null} when there
     * was none yet.
     */
    public void restore(int[] owned, ClassMemory.Ema saved) {
        int k = prototypes.classes();
        if (owned.length != k || java.util.Arrays.stream(owned).distinct().count() != k
                || java.util.Arrays.stream(owned).anyMatch(j -> j < 0 || j >= k)) {
            throw new IllegalArgumentException("a saved assignment must be a permutation of 0.." + (k - 1) + ", got "
                    + owned.length + " entries");
        }
        if (saved != null && (saved.classes() != k || saved.dim() != prototypes.dimension()
                || saved.momentum() != momentum)) {
            throw new IllegalArgumentException("a saved class memory is " + saved.classes() + " x " + saved.dim()
                    + " with momentum " + saved.momentum() + "; this step has " + k + " x " + prototypes.dimension()
                    + " and momentum " + momentum);
        }
        assignment = owned.clone();
        memory = saved;
    }

    /** The prototypes as unit float rows for the sparse solver; they never change, so built once. */
    private float[] unitPrototypes() {
        if (unitPrototypes == null) {
            int k = prototypes.classes();
            int d = prototypes.dimension();
            float[] p = new float[k * d];
            double[][] pm = prototypes.matrix();
            for (int j = 0; j < k; j++) {
                for (int t = 0; t < d; t++) {
                    p[j * d + t] = (float) pm[j][t];
                }
            }
            unitPrototypes = CandidateGraph.normalizeRows(p, k, d, "prototypes");
        }
        return unitPrototypes;
    }

    /** Folds this epoch's class memory into the moving average and re-solves the assignment. */
    public Outcome update(ClassMemory epoch) {
        int k = prototypes.classes();
        int d = prototypes.dimension();
        if (epoch.classes() != k || epoch.dim() != d) {
            throw new IllegalArgumentException("class memory is " + epoch.classes() + "x" + epoch.dim()
                    + ", prototypes are " + k + "x" + d);
        }
        if (memory == null) {
            // first re-solve: start from this epoch's means; a class with no examples gets a seeded random row
            double[] init = epoch.means();
            java.util.Random rnd = new java.util.Random(k * 31L + d);
            for (int c = 0; c < k; c++) {
                if (epoch.count(c) == 0 || java.util.Arrays.stream(init, c * d, (c + 1) * d).allMatch(x -> x == 0)) {
                    for (int t = 0; t < d; t++) {
                        init[c * d + t] = rnd.nextGaussian();
                    }
                }
            }
            memory = new ClassMemory.Ema(init, k, d, momentum);
        } else {
            memory.update(epoch);
        }
        return solve();
    }

    /**
     * DL2PA's start: a class memory of seeded standard-normal rows (the seed initialises its queue with randn), and the
     * assignment it gives, which is a random permutation for practical purposes. Later {@link #update}s fold the
     * epochs' means into this memory.
     */
    public Outcome randomStart(long seed) {
        memory = ClassMemory.Ema.random(prototypes.classes(), prototypes.dimension(), momentum, seed);
        return solve();
    }

    /**
     * The memory the workers fold their training batches into (DL2PA's per-batch moving average): the current one, or
     * when none exists yet seeded standard-normal rows, as the seed initialises its queue (the assignment in force is
     * left as it is).
     */
    public ClassMemory.Ema memory(long seed) {
        if (memory == null) {
            memory = ClassMemory.Ema.random(prototypes.classes(), prototypes.dimension(), momentum, seed);
        }
        return memory;
    }

    /** Folds the workers' copies of {@link #memory} after a round into it ({@link ClassMemory.Ema#mergeCopies}). */
    public void mergeRound(java.util.Collection<ClassMemory.Ema> copies) {
        if (memory == null) {
            throw new IllegalStateException("no class memory to merge the workers' copies into");
        }
        memory.mergeCopies(copies);
    }

    /** Re-solves the assignment from the memory as it stands (the per-batch mode's re-solve; no pass over the data). */
    public Outcome resolve() {
        if (memory == null) {
            throw new IllegalStateException("no class memory to solve from");
        }
        return solve();
    }

    /** The maximum-cosine assignment of the current memory; records it and says how many classes changed. */
    private Outcome solve() {
        int k = prototypes.classes();
        int d = prototypes.dimension();
        int[] next;
        double objective;
        if (k <= denseUpTo || candidates == null) {
            Assignment a = LinearAssignment.solveMax(ClassMemory.cosineMatrix(memory.rows(), k, prototypes), k);
            next = a.columnOfRow();
            objective = a.objective();
        } else {
            double[] rows = memory.rows();
            float[] q = new float[rows.length];
            for (int i = 0; i < rows.length; i++) {
                q[i] = (float) rows[i];
            }
            q = CandidateGraph.normalizeRows(q, k, d, "class memories");
            CosineAssignment.Result r = CosineAssignment.solveNormalized(q, unitPrototypes(), k, d,
                    CosineAssignment.Options.defaults(), candidates);
            next = r.assignment().columnOfRow();
            objective = r.objective();
        }
        int changed = 0;
        for (int c = 0; c < k; c++) {
            if (next[c] != assignment[c]) {
                changed++;
            }
        }
        assignment = next.clone();
        return new Outcome(next.clone(), changed, objective / k);
    }
}
