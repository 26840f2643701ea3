package io.protospark.jobs;

import io.protospark.model.assign.ClassMemory;
import io.protospark.model.prototype.PrototypeSet;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
