package io.protospark.jobs;

import io.protospark.model.assign.Assignment;
import io.protospark.model.assign.LinearAssignment;
import io.protospark.model.prototype.PrototypeSet;

/**
 * The driver's between-epoch step of dynamic label-to-prototype assignment (DL2PA): class memory → cosine
 * matrix against the prototypes → an exact maximum-cosine assignment → the permuted head.
 *
 * <p>The memory is a true exponential moving average of the per-class mean unit embedding (momentum 0 = this
 * epoch's mean only), rows renormalised. The DL2PA code's accumulating update and its one-sample-per-class
 * indexing are not reproduced.
 */
final class AssignmentStep {
    private final PrototypeSet prototypes;
    private final double momentum;
    private double[][] memory;
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

    /** Folds this epoch's mean directions into the memory and re-solves the assignment. */
    Outcome update(double[][] epochMean) {
        int k = prototypes.classes();
        int d = prototypes.dimension();
        if (epochMean.length != k || epochMean[0].length != d) {
            throw new IllegalArgumentException("class memory is " + epochMean.length + "x" + epochMean[0].length
                    + ", prototypes are " + k + "x" + d);
        }
        if (memory == null || momentum == 0) {
            memory = new double[k][];
            for (int c = 0; c < k; c++) {
                memory[c] = epochMean[c].clone();
            }
        } else {
            for (int c = 0; c < k; c++) {
                double n = 0;
                for (int j = 0; j < d; j++) {
                    memory[c][j] = momentum * memory[c][j] + (1 - momentum) * epochMean[c][j];
                    n += memory[c][j] * memory[c][j];
                }
                n = Math.sqrt(n);
                if (n > 0) {
                    for (int j = 0; j < d; j++) {
                        memory[c][j] /= n;
                    }
                }
            }
        }
        double[] cost = new double[k * k];
        double[][] p = prototypes.matrix();
        for (int j = 0; j < k; j++) {
            double n = 0;
            for (double v : p[j]) {
                n += v * v;
            }
            n = Math.sqrt(n);
            for (int t = 0; t < d; t++) {
                p[j][t] /= n;
            }
        }
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += memory[c][t] * p[j][t];
                }
                cost[c * k + j] = dot;
            }
        }
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
