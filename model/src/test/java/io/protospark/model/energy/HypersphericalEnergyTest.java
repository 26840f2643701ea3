package io.protospark.model.energy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** METHODS §7 items 15–18: golden energies, invariances, gradient, descent to the simplex, AP objective. */
class HypersphericalEnergyTest {

    @Test
    void goldenValuesForTheIdentity() {
        INDArray eye = Nd4j.eye(3).castTo(DataType.DOUBLE);
        double[][] golden = {
                {-0.693147, -0.831767}, {0.707107, 0.665688}, {0.500000, 0.450002},
                {0.692947, 0.555240}, {1.999600, 1.800564}, {3.998400, 3.400493}};
        EnergyForm[] forms = {EnergyForm.S0, EnergyForm.S1, EnergyForm.S2, EnergyForm.A0, EnergyForm.A1, EnergyForm.A2};
        for (int i = 0; i < forms.length; i++) {
            assertEquals(golden[i][0], HypersphericalEnergy.energy(eye, forms[i], false), 1e-6, forms[i] + " full");
            assertEquals(golden[i][1], HypersphericalEnergy.energy(eye, forms[i], true), 1e-6, forms[i] + " half");
        }
    }

    @Test
    void invariantToNeuronScalingAndCommonRotation() {
        Nd4j.getRandom().setSeed(11);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 6, 5);
        INDArray scaled = w.mulColumnVector(Nd4j.createFromArray(3.0, 0.5, 7.0, 1.0, 2.0, 11.0).reshape(6, 1));
        INDArray q = orthogonal(5, 12);
        for (EnergyForm f : EnergyForm.values()) {
            for (boolean half : new boolean[]{false, true}) {
                double e = HypersphericalEnergy.energy(w, f, half);
                assertEquals(e, HypersphericalEnergy.energy(scaled, f, half), 1e-3 * Math.abs(e), f + " scaling");
                assertEquals(e, HypersphericalEnergy.energy(w.mmul(q), f, half), 1e-9, f + " rotation");
            }
        }
    }

    @Test
    void meanOverPairs() {
        // two orthogonal unit neurons: one pair with q = 2 → s = 2 energy 1/2; adding a copy of the first adds pairs
        INDArray two = Nd4j.create(new double[][]{{1, 0}, {0, 1}});
        assertEquals(0.5, HypersphericalEnergy.energy(two, EnergyForm.S2, false), 1e-4);
        INDArray three = Nd4j.create(new double[][]{{1, 0}, {0, 1}, {0, -1}});
        double c = -1 / (1 + 1e-4);
        double expected = (0.5 + 0.5 + 1 / (2 - 2 * c)) / 3;
        assertEquals(expected, HypersphericalEnergy.energy(three, EnergyForm.S2, false), 1e-12);
    }

    static INDArray orthogonal(int d, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray a = Nd4j.randn(DataType.DOUBLE, d, d);
        // Gram–Schmidt
        INDArray q = Nd4j.zeros(DataType.DOUBLE, d, d);
        for (int i = 0; i < d; i++) {
            INDArray v = a.getRow(i).dup();
            for (int j = 0; j < i; j++) {
                v.subi(q.getRow(j).mul(v.mul(q.getRow(j)).sumNumber().doubleValue()));
            }
            q.putRow(i, v.div(v.norm2Number().doubleValue()));
        }
        return q;
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Nd4j.getRandom().setSeed(5);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 4, 3);
        for (EnergyForm f : EnergyForm.values()) {
            for (boolean half : new boolean[]{false, true}) {
                INDArray g = HypersphericalEnergy.compute(w, f, half, true).gradient();
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 3; j++) {
                        double h = 1e-6;
                        double o = w.getDouble(i, j);
                        w.putScalar(i, j, o + h);
                        double plus = HypersphericalEnergy.energy(w, f, half);
                        w.putScalar(i, j, o - h);
                        double minus = HypersphericalEnergy.energy(w, f, half);
                        w.putScalar(i, j, o);
                        assertEquals((plus - minus) / (2 * h), g.getDouble(i, j), 1e-6, f + " half=" + half);
                    }
                }
            }
        }
    }

    @Test
    void descentOnS2LowersEnergyAndReachesTheSimplex() {
        Nd4j.getRandom().setSeed(21);
        int n = 5;
        INDArray w = Nd4j.randn(DataType.DOUBLE, n, 4);
        w.diviColumnVector(w.norm2(1).reshape(n, 1));
        double start = HypersphericalEnergy.energy(w, EnergyForm.S2, false);
        double minAngleStart = minAngle(w);
        INDArray g = HypersphericalEnergy.compute(w, EnergyForm.S2, false, true).gradient();
        assertTrue(HypersphericalEnergy.energy(w.sub(g.mul(1e-3)), EnergyForm.S2, false) < start, "one small step");
        for (int it = 0; it < 300; it++) {
            g = HypersphericalEnergy.compute(w, EnergyForm.S2, false, true).gradient();
            w.subi(g.muli(1.0));
            w.diviColumnVector(w.norm2(1).reshape(n, 1));
        }
        assertTrue(HypersphericalEnergy.energy(w, EnergyForm.S2, false) < start);
        assertTrue(minAngle(w) > minAngleStart);
        INDArray c = w.mmul(w.transpose());
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                assertEquals(-1.0 / (n - 1), c.getDouble(i, j), 1e-3, "cos(" + i + "," + j + ")");
            }
        }
    }

    static double minAngle(INDArray unitRows) {
        INDArray c = unitRows.mmul(unitRows.transpose());
        double max = -1;
        for (int i = 0; i < c.rows(); i++) {
            for (int j = i + 1; j < c.rows(); j++) {
                max = Math.max(max, c.getDouble(i, j));
            }
        }
        return Math.acos(max);
    }

    @Test
    void randomProjectionsKeepCosinesApproximately() {
        Nd4j.getRandom().setSeed(8);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 6, 20);
        EnergyRegularization r = EnergyRegularization.random(EnergyForm.S2, false, 1, 6, 400, 1, 1L, 1L);
        INDArray p = r.randomProjections(20, 0);
        INDArray diff = HypersphericalEnergy.cosines(w.mmul(p.transpose())).subi(HypersphericalEnergy.cosines(w));
        assertTrue(Transforms.abs(diff).maxNumber().doubleValue() < 0.15, "JL with d_p = 400: " + diff);
        assertEquals(p, r.randomProjections(20, 0), "same iteration, same projection");
        assertTrue(!p.equals(r.randomProjections(20, 1)), "fresh projection each iteration");
    }

    @Test
    void anglePreservingObjectiveVanishesForOrthogonalProjection() {
        Nd4j.getRandom().setSeed(9);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 5, 6);
        INDArray q = orthogonal(6, 4); // PᵀP = I: cosines preserved exactly, only the small L2 on P remains
        double l2 = EnergyRegularization.P_L2 * 0.5 * q.mul(q).sumNumber().doubleValue();
        assertEquals(l2, EnergyRegularization.anglePreservingObjective(w, q), 1e-9);
        INDArray q3 = q.mul(3.0); // PᵀP ∝ I: zero up to the norm epsilon
        double l2s = EnergyRegularization.P_L2 * 0.5 * q3.mul(q3).sumNumber().doubleValue();
        assertEquals(l2s, EnergyRegularization.anglePreservingObjective(w, q3), 1e-3);
        INDArray rnd = Nd4j.randn(DataType.DOUBLE, 3, 6);
        assertTrue(EnergyRegularization.anglePreservingObjective(w, rnd) > l2 + 0.01);
    }

    @Test
    void projectionObjectiveGradientsMatchFiniteDifferences() {
        Nd4j.getRandom().setSeed(13);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 5, 6);
        INDArray p = Nd4j.randn(DataType.DOUBLE, 3, 6);
        INDArray ga = EnergyRegularization.anglePreservingGradient(w, p);
        INDArray gv = EnergyRegularization.adversarialGradient(w, p);
        double h = 1e-6;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 6; j++) {
                double o = p.getDouble(i, j);
                p.putScalar(i, j, o + h);
                double ap = EnergyRegularization.anglePreservingObjective(w, p);
                double vp = adversarialObjective(w, p);
                p.putScalar(i, j, o - h);
                double am = EnergyRegularization.anglePreservingObjective(w, p);
                double vm = adversarialObjective(w, p);
                p.putScalar(i, j, o);
                assertEquals((ap - am) / (2 * h), ga.getDouble(i, j), 1e-6, "angle-preserving");
                assertEquals((vp - vm) / (2 * h), gv.getDouble(i, j), 1e-6, "adversarial");
            }
        }
    }

    static double adversarialObjective(INDArray w, INDArray p) {
        return HypersphericalEnergy.energy(w.mmul(p.transpose()), EnergyForm.S2, false)
                - EnergyRegularization.P_L2 * 0.5 * p.mul(p).sumNumber().doubleValue();
    }
}
