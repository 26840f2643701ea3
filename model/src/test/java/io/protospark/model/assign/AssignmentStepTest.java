package io.protospark.model.assign;

import io.protospark.model.prototype.PrototypeSet;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AssignmentStepTest {

    @Test
    void recoversAHiddenPermutationFromNoisyMemories() {
        int k = 10;
        PrototypeSet p = PrototypeSet.simplex(k);
        int[] hidden = {3, 7, 0, 9, 1, 4, 8, 2, 6, 5};
        Random rnd = new Random(5);
        double[][] mean = new double[k][];
        for (int c = 0; c < k; c++) {
            mean[c] = p.row(hidden[c]);
            for (int j = 0; j < k - 1; j++) {
                mean[c][j] += 0.2 * rnd.nextGaussian();
            }
        }
        AssignmentStep step = new AssignmentStep(p, 0.0);
        AssignmentStep.Outcome o = step.update(memoryOf(mean));
        assertArrayEquals(hidden, o.assignment());
        assertEquals(10 - 0, o.changed() + countFixedPoints(hidden));
        assertArrayEquals(p.row(hidden[4]), step.head().row(4));
        // the same memory again changes nothing
        assertEquals(0, step.update(memoryOf(mean)).changed());
    }

    @Test
    void randomStartIsASeededPermutationThatTheFirstEpochReplaces() {
        int k = 40;
        PrototypeSet p = PrototypeSet.simplex(k);
        AssignmentStep.Outcome a = new AssignmentStep(p, 0.0).randomStart(7);
        int[] sorted = a.assignment().clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(java.util.stream.IntStream.range(0, k).toArray(), sorted); // one prototype per class
        assertTrue(a.changed() > k / 2, "a random start moves most classes away from prototype k: " + a.changed());
        assertArrayEquals(a.assignment(), new AssignmentStep(p, 0.0).randomStart(7).assignment()); // same seed, same
        assertTrue(!java.util.Arrays.equals(a.assignment(), new AssignmentStep(p, 0.0).randomStart(8).assignment()));
        // with momentum 0 (the per-epoch equivalent of DL2PA's per-batch 0.9 over an epoch's batches) the first
        // epoch's class means replace the random memory entirely
        AssignmentStep step = new AssignmentStep(p, 0.0);
        step.randomStart(7);
        assertArrayEquals(java.util.stream.IntStream.range(0, k).toArray(),
                step.update(memoryOf(p.matrix())).assignment());
    }

    @Test
    void movingAverageKeepsTheOldAssignmentAgainstOneNoisyEpoch() {
        int k = 4;
        PrototypeSet p = PrototypeSet.simplex(k);
        AssignmentStep step = new AssignmentStep(p, 0.9);
        double[][] identity = p.matrix();
        step.update(memoryOf(identity));
        double[][] swapped = {p.row(1), p.row(0), p.row(2), p.row(3)};
        // one epoch that prefers swapping 0 and 1 is outweighed by the memory
        assertArrayEquals(new int[]{0, 1, 2, 3}, step.update(memoryOf(swapped)).assignment());
        AssignmentStep fresh = new AssignmentStep(p, 0.0);
        fresh.update(memoryOf(identity));
        assertArrayEquals(new int[]{1, 0, 2, 3}, fresh.update(memoryOf(swapped)).assignment());
    }

    @Test
    void sparsePathGivesTheDenseAnswer() {
        int k = 12;
        PrototypeSet p = PrototypeSet.simplex(k);
        int[] hidden = {5, 2, 11, 0, 9, 1, 4, 3, 10, 7, 8, 6};
        double[][] mean = new double[k][];
        for (int c = 0; c < k; c++) {
            mean[c] = p.row(hidden[c]);
        }
        // dense-up-to 4 forces the sparse solver; candidates computed locally, as the executors would
        AssignmentStep sparse = new AssignmentStep(p, 0.0, 4, (q, protos, n, d, kk) -> java.util.List.of(
                CandidateGraph.computeBlock(q, 0, n,
                        CandidateGraph.prototypeTiles(protos, n, d), n, d, kk,
                        java.util.concurrent.Executors.newSingleThreadExecutor(), 1)));
        AssignmentStep.Outcome o = sparse.update(memoryOf(mean));
        assertArrayEquals(hidden, o.assignment());
        assertEquals(new AssignmentStep(p, 0.0).update(memoryOf(mean)).meanCosine(), o.meanCosine(), 1e-6);
    }

    /** A class memory whose class c holds the single embedding {@code rows[c]}. */
    private static ClassMemory memoryOf(double[][] rows) {
        ClassMemory m = new ClassMemory(rows.length, rows[0].length);
        for (int c = 0; c < rows.length; c++) {
            float[] f = new float[rows[c].length];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) rows[c][j];
            }
            m.add(c, f);
        }
        return m;
    }

    private static int countFixedPoints(int[] perm) {
        int n = 0;
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] == i) {
                n++;
            }
        }
        return n;
    }
}
