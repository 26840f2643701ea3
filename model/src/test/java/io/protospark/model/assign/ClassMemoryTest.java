package io.protospark.model.assign;

import io.protospark.model.prototype.PrototypeKind;
import io.protospark.model.prototype.PrototypeSet;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Class sums, epoch means, merging and the project's EMA rule (METHODS.md Decisions; §7 items 24–25). */
class ClassMemoryTest {

    @Test
    void meansAreRenormalisedMeansOfNormalisedEmbeddings() {
        ClassMemory m = new ClassMemory(3, 2);
        m.add(0, new float[] {3, 0}).add(0, new float[] {0, 10}).add(1, new float[] {0, 0}).add(2, new float[] {-2, 0});
        double[] means = m.means();
        double h = Math.sqrt(0.5);
        assertArrayEquals(new double[] {h, h, 0, 0, -1, 0}, means, 1e-12);
        assertEquals(2, m.count(0));
        assertEquals(0, m.count(1));
        assertEquals(1, m.skipped());
        assertArrayEquals(new double[] {1, 1}, m.sum(0), 1e-12);
    }

    @Test
    void mergeEqualsOneMemoryOverAllExamplesAndSurvivesSerialization() throws Exception {
        Random rnd = new Random(1);
        int k = 5;
        int d = 4;
        ClassMemory all = new ClassMemory(k, d);
        ClassMemory a = new ClassMemory(k, d);
        ClassMemory b = new ClassMemory(k, d);
        for (int x = 0; x < 200; x++) {
            float[] e = new float[d];
            for (int t = 0; t < d; t++) {
                e[t] = (float) rnd.nextGaussian();
            }
            int label = rnd.nextInt(k);
            all.add(label, e);
            (x % 3 == 0 ? a : b).add(label, e);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(b);
        }
        ClassMemory copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (ClassMemory) in.readObject();
        }
        assertArrayEquals(all.means(), a.merge(copy).means(), 1e-12);
        for (int c = 0; c < k; c++) {
            assertEquals(all.count(c), a.count(c));
        }
        assertThrows(IllegalArgumentException.class, () -> all.merge(new ClassMemory(k, d + 1)));
    }

    /**
     * METHODS.md §7 item 25's golden value (0.998618, 0.052559) is for the SEED's rule
     * normalize(Q + 0.9·Q + 0.1·x̂); it is recomputed here as a reference only. This project's rule (Decisions) is
     * the true EMA normalize(0.9·Q + 0.1·x̂) = (0.993884, 0.110432), which is what {@link ClassMemory.Ema} does.
     */
    @Test
    void emaStepOnItem25sExampleFollowsTheProjectsRuleNotTheSeeds() {
        double[] seed = {1.9 * 1 + 0.1 * 0, 1.9 * 0 + 0.1 * 1};
        double n = Math.hypot(seed[0], seed[1]);
        assertArrayEquals(new double[] {0.998618, 0.052559}, new double[] {seed[0] / n, seed[1] / n}, 1e-6);

        ClassMemory.Ema ema = new ClassMemory.Ema(new double[] {1, 0}, 1, 2, ClassMemory.Ema.DEFAULT_MOMENTUM);
        ema.update(new float[] {0, 5}, new int[] {0});
        assertArrayEquals(new double[] {0.993884, 0.110432}, ema.row(0), 1e-6);
        assertEquals(1, Math.hypot(ema.row(0)[0], ema.row(0)[1]), 1e-12);
    }

    @Test
    void emaUsesTheMeanOfAllSamplesOfAClassAndLeavesAbsentClasses() {
        ClassMemory.Ema ema = new ClassMemory.Ema(new double[] {1, 0, 0, 1}, 2, 2, 0.5);
        // two samples of class 0: normalised (0,1) and (0,-1) average to 0, so Q_0 stays (1,0) in direction
        ema.update(new float[] {0, 2, 0, -3}, new int[] {0, 0});
        assertArrayEquals(new double[] {1, 0, 0, 1}, ema.rows(), 1e-12);
        ema.update(new float[] {0, 2, 0, 4}, new int[] {0, 0});
        double h = Math.sqrt(0.5);
        assertArrayEquals(new double[] {h, h, 0, 1}, ema.rows(), 1e-12);
        ClassMemory.Ema random = ClassMemory.Ema.random(4, 3, 0.9, 7);
        for (int c = 0; c < 4; c++) {
            double[] r = random.row(c);
            assertEquals(1, Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]), 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> new ClassMemory.Ema(new double[] {1, 0}, 1, 2, 1.0));
    }

    @Test
    void oneWorkersCopyMergedBackIsTheSequentialMovingAverage() throws Exception {
        ClassMemory.Ema driver = ClassMemory.Ema.random(3, 4, 0.9, 11);
        ClassMemory.Ema sequential = driver.copy();
        ClassMemory.Ema worker = roundTrip(driver.copy());
        Random rnd = new Random(5);
        for (int b = 0; b < 6; b++) {
            float[] f = new float[5 * 4];
            for (int x = 0; x < f.length; x++) {
                f[x] = (float) rnd.nextGaussian();
            }
            int[] y = {b % 2, 0, b % 2, 0, 0}; // class 2 never appears
            sequential.update(f, y);
            worker.update(f, y);
        }
        assertEquals(6, worker.updates(0));
        assertEquals(3, worker.updates(1));
        assertEquals(0, worker.updates(2));
        double[] before2 = driver.row(2);
        driver.mergeCopies(java.util.List.of(roundTrip(worker)));
        assertArrayEquals(sequential.rows(), driver.rows(), 1e-12);
        assertArrayEquals(before2, driver.row(2), 0.0);
    }

    @Test
    void copiesOfTwoWorkersAreAveragedOverTheWorkersThatSawEachClass() {
        ClassMemory.Ema driver = new ClassMemory.Ema(new double[] {1, 0, 0, 1, 1, 1}, 3, 2, 0.0);
        ClassMemory.Ema a = driver.copy().update(new float[] {0, 1, 1, 0}, new int[] {0, 1});
        ClassMemory.Ema b = driver.copy().update(new float[] {-1, 0}, new int[] {1});
        driver.mergeCopies(java.util.List.of(a, b));
        double h = Math.sqrt(0.5);
        // class 0: only worker a saw it (momentum 0: its row is the batch's direction (0, 1));
        // class 1: a says (1, 0), b says (-1, 0): their mean has no direction, so the row is kept;
        // class 2: nobody saw it
        assertArrayEquals(new double[] {0, 1, 0, 1, h, h}, driver.rows(), 1e-12);
        ClassMemory.Ema c = driver.copy().update(new float[] {3, 4}, new int[] {1});
        ClassMemory.Ema d = driver.copy().update(new float[] {0, 5}, new int[] {1});
        driver.mergeCopies(java.util.List.of(c, d));
        double[] m = {0.6 / 2, (0.8 + 1) / 2};
        double n = Math.hypot(m[0], m[1]);
        assertArrayEquals(new double[] {m[0] / n, m[1] / n}, driver.row(1), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> driver.mergeCopies(java.util.List.of(new ClassMemory.Ema(new double[] {1, 0}, 1, 2, 0.0))));
    }

    private static ClassMemory.Ema roundTrip(ClassMemory.Ema e) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(e);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (ClassMemory.Ema) in.readObject();
        }
    }

    /** Item 24: memories equal to the prototypes under a permutation give back that permutation. */
    @Test
    void assignmentFromTheMemoryRecoversTheHiddenPermutation() {
        int k = 10;
        PrototypeSet p = PrototypeSet.simplex(k);
        int[] pi = LinearAssignmentTest.shuffled(k, new Random(5));
        ClassMemory m = new ClassMemory(k, k - 1);
        for (int c = 0; c < k; c++) {
            double[] row = p.row(pi[c]);
            float[] e = new float[row.length];
            for (int t = 0; t < row.length; t++) {
                e[t] = (float) (row[t] * 3);
            }
            m.add(c, e);
        }
        double[] s = ClassMemory.cosineMatrix(m.means(), k, p);
        assertArrayEquals(pi, LinearAssignment.solveMax(s, k).columnOfRow());
        assertEquals(PrototypeKind.SIMPLEX, p.kind());
    }
}
