package io.protospark.model.prototype;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** METHODS §7 invariants 22 and 30, reproducibility and the reported quality of estimated prototypes. */
class PrototypeEstimatorTest {

    private static PrototypeEstimator.Result run(EstimationObjective o, int k, int d, int iterations, double lr,
                                                 long seed) {
        return PrototypeEstimator.estimate(k, d, new PrototypeEstimator.Settings(o, iterations, lr, 0.002), seed);
    }

    // 22.
    @Test
    void uniformityOfARegularSimplexIsTheGoldenLowerBound() {
        double[][] simplex = Polytopes.simplex(10);
        assertEquals(-4.444444, PrototypeEstimator.uniformityLoss(simplex, 2), 1e-6);
        assertEquals(-40.0 / 9, PrototypeEstimator.uniformityLoss(simplex, 2), 1e-12);
        // any other unit configuration with d >= K - 1 scores higher
        double[][] other = run(EstimationObjective.SPREAD, 10, 12, 30, 0.1, 3).rows();
        assertTrue(PrototypeEstimator.uniformityLoss(other, 2) > -40.0 / 9);
        // DL2PA's loss decreases under its own SGD
        double[][] start = run(EstimationObjective.UNIFORMITY, 10, 12, 0, 0.1, 5).rows();
        double[][] trained = run(EstimationObjective.UNIFORMITY, 10, 12, 300, 0.1, 5).rows();
        assertTrue(PrototypeEstimator.uniformityLoss(trained, 2) < PrototypeEstimator.uniformityLoss(start, 2));
    }

    // 30. HPN
    @Test
    void maxCosineObjectiveLowersTheMaxCosineOverIterations() {
        double m0 = PrototypeSet.of(PrototypeKind.ESTIMATED,
                run(EstimationObjective.MAX_COSINE, 20, 5, 0, 0.1, 300).rows()).maxCosine();
        double m1 = PrototypeSet.of(PrototypeKind.ESTIMATED,
                run(EstimationObjective.MAX_COSINE, 20, 5, 200, 0.1, 300).rows()).maxCosine();
        double m2 = PrototypeSet.of(PrototypeKind.ESTIMATED,
                run(EstimationObjective.MAX_COSINE, 20, 5, 2000, 0.1, 300).rows()).maxCosine();
        assertTrue(m1 < m0, m1 + " < " + m0);
        assertTrue(m2 < m1, m2 + " < " + m1);
    }

    // 30. EBV
    @Test
    void nearOrthogonalStopsWithinTolerance() {
        PrototypeEstimator.Result r = run(EstimationObjective.NEAR_ORTHOGONAL, 6, 8, 20000, 0.001, 42);
        double[][] p = r.rows();
        double maxAbs = 0;
        for (int a = 0; a < p.length; a++) {
            for (int b = a + 1; b < p.length; b++) {
                maxAbs = Math.max(maxAbs, Math.abs(ConstructionsTest.cos(p[a], p[b])));
            }
        }
        assertTrue(maxAbs <= 0.002 + 1e-4, "max |cos| " + maxAbs);
        assertTrue(r.steps() < 20000, "stopped early");
    }

    @Test
    void sameSeedGivesABitIdenticalMatrixAndAnotherSeedDoesNot() {
        for (EstimationObjective o : EstimationObjective.values()) {
            double[][] a = run(o, 30, 6, 40, 0.1, 7).rows();
            double[][] b = run(o, 30, 6, 40, 0.1, 7).rows();
            double[][] c = run(o, 30, 6, 40, 0.1, 8).rows();
            assertTrue(Arrays.deepEquals(a, b), o + ": same seed");
            assertFalse(Arrays.deepEquals(a, c), o + ": other seed");
            for (double[] row : a) {
                assertEquals(1.0, ConstructionsTest.norm(row), 1e-12);
            }
        }
    }

    @Test
    void threadCountDoesNotChangeTheBits() throws Exception {
        java.util.concurrent.ForkJoinPool one = new java.util.concurrent.ForkJoinPool(1);
        java.util.concurrent.ForkJoinPool three = new java.util.concurrent.ForkJoinPool(3);
        try {
            double[][] a = one.submit(() -> run(EstimationObjective.SPREAD, 60, 7, 30, 0.1, 9).rows()).get();
            double[][] b = three.submit(() -> run(EstimationObjective.SPREAD, 60, 7, 30, 0.1, 9).rows()).get();
            assertTrue(Arrays.deepEquals(a, b));
            assertTrue(Arrays.deepEquals(a, run(EstimationObjective.SPREAD, 60, 7, 30, 0.1, 9).rows()));
        } finally {
            one.shutdown();
            three.shutdown();
        }
    }

    @Test
    void spreadBeatsDl2paShippedFileOnASmallCase() {
        // DL2PA ships 100 prototypes in 16-d with max cosine 0.326
        PrototypeEstimator.Result r = run(EstimationObjective.SPREAD, 100, 16, 200, 0.1, 0);
        PrototypeSet s = PrototypeSet.of(PrototypeKind.ESTIMATED, r.rows());
        assertTrue(s.maxCosine() < 0.326, "max cosine " + s.maxCosine());
        assertTrue(s.maxCosine() < r.initialMaxCosine());
        assertEquals(Arrays.stream(r.maxCosineTrace()).min().orElseThrow(), s.maxCosine(), 1e-12,
                "spread returns its best iterate");
    }

    @Test
    void spreadReachesTheSimplexWhenItFits() {
        PrototypeSet s = PrototypeSet.of(PrototypeKind.ESTIMATED,
                run(EstimationObjective.SPREAD, 8, 7, 400, 0.1, 1).rows());
        assertEquals(-1.0 / 7, s.maxCosine(), 2e-3);
        assertTrue(s.boundAttainable());
    }
}
