package io.protospark.jobs;

import io.protospark.model.assign.Assignment;
import io.protospark.model.assign.ClassMemory;
import io.protospark.model.assign.LinearAssignment;
import io.protospark.model.prototype.PrototypeSet;

/**
 * The driver's between-epoch step of dynamic label-to-prototype assignment (DL2PA): class memory → cosine
 * matrix against the prototypes → an exact maximum-cosine assignment → the permuted head.
 *
 * <p>The memory is {@link ClassMemory.Ema}, fed once per re-solve with the epoch's per-class sums (momentum 0 =
 * this epoch's mean direction only), rows renormalised. DL2PA updates its memory after every batch; here the
 * update happens between epochs, on the driver, from a tree-reduced pass over the training split.
 */
final class AssignmentStep {
    private final PrototypeSet prototypes;
    private final double momentum;
    private ClassMemory.Ema memory;
    private int[] assignment;

    /** What one re-solve did. */
    record Outcome(int[] assignment, int changed, double meanCosine) {
    }

    /**
     * @param prototypes the base prototypes (row j = prototype j), never permuted themselves
     * @param momentum   weight of the previous memory in the moving average, in [0, 1)
     */
    AssignmentStep(PrototypeSet prototypes, double momentum) {
        this.prototypes = prototypes;
        this.momentum = momentum;
        this.assignment = java.util.stream.IntStream.range(0, prototypes.classes()).toArray();
    }

    /** Class k owns prototype {@code assignment()[k]}. */
    int[] assignment() {
        return assignment.clone();
    }

    /** The head matrix for the current assignment: row k = the prototype class k owns. */
    PrototypeSet head() {
        return prototypes.permuted(assignment);
    }

    /** Folds this epoch's class memory into the moving average and re-solves the assignment. */
    Outcome update(ClassMemory epoch) {
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
        double[] cost = ClassMemory.cosineMatrix(memory.rows(), k, prototypes);
        Assignment a = LinearAssignment.solveMax(cost, k);
        int[] next = a.columnOfRow();
        int changed = 0;
        for (int c = 0; c < k; c++) {
            if (next[c] != assignment[c]) {
                changed++;
            }
        }
        assignment = next.clone();
        return new Outcome(next.clone(), changed, a.objective() / k);
    }
}
