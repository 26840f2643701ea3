package io.protospark.jobs.spark;

import io.protospark.model.assign.CandidateGraph;
import io.protospark.model.assign.CosineAssignment;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Candidates computed on Spark executors give the same proven-optimal assignment as the local computation. */
class SparkCandidatesTest {

    @Test
    void executorCandidatesMatchTheLocalSolve() {
        int n = 5000;
        int d = 32;
        Random rnd = new Random(3);
        float[] prototypes = new float[n * d];
        for (int i = 0; i < prototypes.length; i++) {
            prototypes[i] = (float) rnd.nextGaussian();
        }
        prototypes = CandidateGraph.normalizeRows(prototypes, n, d, "prototypes");
        int[] hidden = new int[n];
        for (int i = 0; i < n; i++) {
            hidden[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = hidden[i];
            hidden[i] = hidden[j];
            hidden[j] = t;
        }
        float[] classes = new float[n * d];
        for (int c = 0; c < n; c++) {
            for (int t = 0; t < d; t++) {
                classes[c * d + t] = prototypes[hidden[c] * d + t] + 0.05f * (float) rnd.nextGaussian();
            }
        }
        classes = CandidateGraph.normalizeRows(classes, n, d, "classes");
        CosineAssignment.Options o = CosineAssignment.Options.defaults();
        CosineAssignment.Result local = CosineAssignment.solveNormalized(classes, prototypes, n, d, o);

        CosineAssignment.Result distributed = CosineAssignment.solveNormalized(classes, prototypes, n, d, o,
                new SparkCandidates(SharedSpark.context(), 2));
        assertTrue(distributed.provenOptimal(), "proof on executor candidates");
        assertEquals(local.objective(), distributed.objective(), 1e-6 * n);
        assertArrayEquals(local.assignment().columnOfRow(), distributed.assignment().columnOfRow());
        assertArrayEquals(hidden, distributed.assignment().columnOfRow(), "hidden permutation recovered");
    }
}
