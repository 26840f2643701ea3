package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.Polytopes;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SquaredCosineLossTest extends LossFixture {
    private static INDArray prototypes() {
        return LossChecks.rows(Polytopes.simplex(4)); // 4×3, unit rows
    }

    @Test
    void zeroWhenPositivelyCollinearAndFourWhenOpposite() {
        INDArray p = prototypes();
        SquaredCosineLoss loss = new SquaredCosineLoss(p);
        int[] y = {0, 1, 2, 3, 1};
        INDArray labels = DoublePrecision.oneHot(4, y);
        INDArray scale = Nd4j.createFromArray(0.1, 2.0, 7.5, 1.0, 300.0).reshape(5, 1);
        INDArray f = labels.mmul(p).mulColumnVector(scale);
        assertEquals(0.0, loss.computeScore(labels, f, ID, null, false), 1e-24);
        assertTrue(loss.computeGradient(labels, f, ID, null).amaxNumber().doubleValue() < 1e-12);
        INDArray opposite = f.neg();
        INDArray scores = loss.computeScoreArray(labels, opposite, ID, null);
        for (int i = 0; i < 5; i++) {
            assertEquals(4.0, scores.getDouble(i), 1e-12);
        }
        // at most 4 per example anywhere
        Nd4j.getRandom().setSeed(9);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 50, 3);
        INDArray many = loss.computeScoreArray(DoublePrecision.oneHot(4, new int[50]), r, ID, null);
        assertTrue(many.maxNumber().doubleValue() <= 4.0 && many.minNumber().doubleValue() >= 0.0);
    }

    @Test
    void matchesTheFormulaAndSumsLikeTheSeed() {
        Nd4j.getRandom().setSeed(21);
        INDArray p = Nd4j.randn(DataType.DOUBLE, 4, 3).muli(2.0); // not unit norm: cosine ignores the norm
        SquaredCosineLoss loss = new SquaredCosineLoss(p);
        int[] y = {3, 0, 0, 2, 1, 3};
        INDArray labels = DoublePrecision.oneHot(4, y);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 6, 3);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            double dot = 0;
            double nf = 0;
            double np = 0;
            for (int j = 0; j < 3; j++) {
                dot += f.getDouble(i, j) * p.getDouble(y[i], j);
                nf += f.getDouble(i, j) * f.getDouble(i, j);
                np += p.getDouble(y[i], j) * p.getDouble(y[i], j);
            }
            double c = dot / Math.sqrt(nf * np);
            sum += (1 - c) * (1 - c);
        }
        assertEquals(sum, loss.computeScore(labels, f, ID, null, false), 1e-12); // the seed's SUM
        assertEquals(sum / 6, loss.computeScore(labels, f, ID, null, true), 1e-12);
        assertTrue(LossChecks.centralDifference(loss, labels, f, null) < 1e-6);
    }

    @Test
    void assignmentPermutesThePrototypes() {
        INDArray p = prototypes();
        SquaredCosineLoss loss = new SquaredCosineLoss(p);
        INDArray labels = DoublePrecision.oneHot(4, 0, 1, 2, 3);
        int[] sigma = {2, 0, 3, 1};
        INDArray f = Nd4j.create(DataType.DOUBLE, 4, 3);
        for (int c = 0; c < 4; c++) {
            f.putRow(c, p.getRow(sigma[c]));
        }
        assertTrue(loss.computeScore(labels, f, ID, null, true) > 0.1);
        loss.assign(p, sigma);
        assertEquals(0.0, loss.computeScore(labels, f, ID, null, true), 1e-24);
    }

    @Test
    void gradientCheckThroughANetwork() {
        SquaredCosineLoss loss = new SquaredCosineLoss(prototypes());
        LossChecks.gradientCheck(loss, 1, new int[] {0, 1, 2, 3, 3}, Activation.IDENTITY);
    }

    @Test
    void jsonRoundTrip() {
        SquaredCosineLoss loss = new SquaredCosineLoss(prototypes());
        LossChecks.jsonRoundTrip(loss, DoublePrecision.oneHot(4, 1, 3), Nd4j.randn(DataType.DOUBLE, 2, 3));
    }
}
