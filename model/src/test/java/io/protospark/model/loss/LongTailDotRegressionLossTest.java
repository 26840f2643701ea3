package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.Polytopes;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LongTailDotRegressionLossTest extends LossFixture {
    @Test
    void goldenClassWeights() {
        // labels [0,0,0,1], B = 4, two distinct labels ⇒ γ = 2, E_0 = √(2/3), E_1 = √2; absent class 2 ⇒ 1
        double[] e = LongTailDotRegressionLoss.classWeights(DoublePrecision.oneHot(3, 0, 0, 0, 1), null);
        assertArrayEquals(new double[] {0.816497, 1.414214, 1.0}, e, 1e-6);
        assertEquals(Math.sqrt(2.0 / 3.0), e[0], 1e-15);
        assertEquals(Math.sqrt(2.0), e[1], 1e-15);
        // balanced batch: all weights 1
        assertArrayEquals(new double[] {1, 1, 1},
                LongTailDotRegressionLoss.classWeights(DoublePrecision.oneHot(3, 0, 1, 2, 2, 1, 0), null), 1e-15);
        // masked-out examples are not counted: [0,0,0,1] with the last two masked ⇒ only class 0, n = 2, γ = 2
        double[] masked = LongTailDotRegressionLoss.classWeights(DoublePrecision.oneHot(3, 0, 0, 0, 1),
                Nd4j.createFromArray(1.0, 1.0, 0.0, 0.0).reshape(4, 1));
        assertArrayEquals(new double[] {1.0, 1.0, 1.0}, masked, 1e-15);
    }

    @Test
    void matchesTheFormulaWithReweightedTargets() {
        Nd4j.getRandom().setSeed(4);
        INDArray p = LossChecks.rows(Polytopes.simplex(3)); // 3×2 unit rows
        LongTailDotRegressionLoss loss = new LongTailDotRegressionLoss(p);
        int[] y = {0, 0, 0, 1};
        INDArray labels = DoublePrecision.oneHot(3, y);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 4, 2).muli(3.0);
        double[] e = {Math.sqrt(2.0 / 3.0), Math.sqrt(2.0)};
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            double nf = Math.hypot(f.getDouble(i, 0), f.getDouble(i, 1));
            double dot = 0;
            for (int j = 0; j < 2; j++) {
                dot += f.getDouble(i, j) / nf * e[y[i]] * p.getDouble(y[i], j);
            }
            double r = dot - e[y[i]]; // ‖w‖ = E·‖p‖ = E, ‖h‖ = 1
            sum += 0.5 * r * r;
        }
        assertEquals(sum / 4, loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertTrue(LossChecks.centralDifference(loss, labels, f, null) < 1e-6);
        // zero (with zero gradient) when every feature points at its prototype, whatever its length
        INDArray on = labels.mmul(p).mulColumnVector(Nd4j.createFromArray(0.5, 2.0, 9.0, 0.1).reshape(4, 1));
        assertEquals(0.0, loss.computeScore(labels, on, ID, null, true), 1e-24);
        assertTrue(loss.computeGradient(labels, on, ID, null).amaxNumber().doubleValue() < 1e-12);
        // scale invariant in f: the loss sees h = f/‖f‖ only
        assertEquals(loss.computeScore(labels, f, ID, null, true),
                loss.computeScore(labels, f.mul(17.0), ID, null, true), 1e-12);
    }

    @Test
    void mixedLabelsGiveTheSeedsMixtureOfLosses() {
        // mixup: y = λ·e_a + (1−λ)·e_b with b a permutation of a, so both label sets have the same class counts and
        // the loss of the mixed batch is λ·L(y_a) + (1−λ)·L(y_b), each with those counts' weights
        Nd4j.getRandom().setSeed(11);
        LongTailDotRegressionLoss loss = new LongTailDotRegressionLoss(LossChecks.rows(Polytopes.simplex(4)));
        int[] a = {0, 0, 0, 1, 2, 2};
        int[] b = {2, 0, 1, 0, 2, 0}; // a permutation of a
        INDArray ya = DoublePrecision.oneHot(4, a);
        INDArray yb = DoublePrecision.oneHot(4, b);
        assertArrayEquals(ya.sum(0).toDoubleVector(), yb.sum(0).toDoubleVector(), 0.0);
        double lambda = 0.3;
        INDArray mixed = ya.mul(lambda).addi(yb.mul(1 - lambda));
        INDArray f = Nd4j.randn(DataType.DOUBLE, 6, 3);
        double expected = lambda * loss.computeScore(ya, f, ID, null, true)
                + (1 - lambda) * loss.computeScore(yb, f, ID, null, true);
        assertEquals(expected, loss.computeScore(mixed, f, ID, null, true), 1e-12);
        INDArray expectedGrad = loss.computeGradient(ya, f, ID, null).muli(lambda)
                .addi(loss.computeGradient(yb, f, ID, null).muli(1 - lambda));
        assertEquals(0.0, loss.computeGradient(mixed, f, ID, null).sub(expectedGrad).amaxNumber().doubleValue(),
                1e-12);
        assertTrue(LossChecks.centralDifference(loss, mixed, f, null) < 1e-6);
        // the weights come from the mixed rows' column sums, which equal either set's counts
        assertArrayEquals(LongTailDotRegressionLoss.classWeights(ya, null),
                LongTailDotRegressionLoss.classWeights(mixed, null), 1e-12);
    }

    @Test
    void gradientCheckThroughANetwork() {
        LongTailDotRegressionLoss loss = new LongTailDotRegressionLoss(LossChecks.rows(Polytopes.simplex(4)));
        // imbalanced batch: weights differ per class
        LossChecks.gradientCheck(loss, 1, new int[] {0, 0, 0, 1, 2, 2}, Activation.IDENTITY);
    }

    @Test
    void jsonRoundTrip() {
        LongTailDotRegressionLoss loss = new LongTailDotRegressionLoss(LossChecks.rows(Polytopes.simplex(4)));
        LossChecks.jsonRoundTrip(loss, DoublePrecision.oneHot(4, 1, 1, 3), Nd4j.randn(DataType.DOUBLE, 3, 3));
    }
}
