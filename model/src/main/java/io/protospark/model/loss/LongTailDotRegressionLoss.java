package io.protospark.model.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL2PA long-tail loss: dot-regression towards per-batch reweighted prototypes. The embedding f is L2-normalised
 * inside the loss, h = f/‖f‖ (the seed's BatchNorm1d stays in the network, before this loss); the target of class c
 * is w_c = E_c·p_{σ(c)} with E_c = √(γ/n_c) for the n_c &gt; 0 examples of class c in the batch,
 * γ = B / (number of distinct labels in the batch), and E_c = 1 for absent classes. Per example
 * ½ (h_i·w_{y_i} − ‖w_{y_i}‖·‖h_i‖)² / ‖h_i‖ with both norms held constant (‖h_i‖ = 1), so the minibatch mean is the
 * seed's ½·mean. The weights depend on the labels only; masked-out examples are not counted.
 *
 * <p><b>Mixup.</b> A label row may be a mixture y_i = λ·e_a + (1−λ)·e_b (or any non-negative row summing to 1): its
 * score is Σ_k y_ik · ½ (h_i·w_k − ‖w_k‖)², the same mixture of the per-class losses, which is the seed's
 * λ·L(y_a) + (1−λ)·L(y_b). The class counts n_c are the column sums of the label rows; for mixup's permuted partner
 * labels the two count vectors are equal, so this is exactly the seed's weighting as well.
 *
 * <p>Not reproduced: the optional feature-norm regulariser (off in the seed).
 */
public class LongTailDotRegressionLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-8;

    /** For Jackson. */
    protected LongTailDotRegressionLoss() {
    }

    /** @param prototypes K×d, row c = prototype currently assigned to class c (unit norm expected) */
    public LongTailDotRegressionLoss(INDArray prototypes) {
        super(prototypes);
    }

    /**
     * The per-class weights E (length K) for a batch of labels (N×K, one-hot or mixed) and an optional per-example
     * mask: n_c = column sum of the labels, E_c = √(γ/n_c) for present classes, γ = B / #present classes, 1 for
     * absent ones.
     */
    public static double[] classWeights(INDArray labels, INDArray mask) {
        INDArray y = labels.castTo(DataType.DOUBLE);
        if (mask != null) {
            y = y.mulColumnVector(mask.castTo(DataType.DOUBLE).reshape(labels.rows(), 1));
        }
        double[] counts = y.sum(0).toDoubleVector();
        double b = 0;
        int present = 0;
        for (double n : counts) {
            b += n;
            if (n > 0) {
                present++;
            }
        }
        double gamma = present == 0 ? 0 : b / present;
        double[] e = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            e[c] = counts[c] > 0 ? Math.sqrt(gamma / counts[c]) : 1.0;
        }
        return e;
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        INDArray e = Nd4j.createFromArray(classWeights(labels, mask)).castTo(f.dataType()).reshape(t.rows(), 1);
        INDArray w = t.mulColumnVector(e);                       // K×d reweighted prototypes
        INDArray wNorm = w.norm2(1).reshape(1, t.rows());        // 1×K
        INDArray fNorm = rowNorms(f, EPS);
        INDArray h = f.divColumnVector(fNorm);
        // ‖h‖ = 1 up to the clamp; held constant as in the seed. r_ik = h_i·w_k − ‖w_k‖ for every class k, weighted
        // by the label row (one-hot: the example's class; mixed: the mixture)
        INDArray r = h.mmul(w.transpose()).subiRowVector(wNorm);  // N×K
        INDArray yr = labels.mul(r);
        INDArray scores = yr.mul(r).sum(true, 1).muli(0.5);
        INDArray grad = null;
        if (gradient) {
            INDArray dh = yr.mmul(w);
            // through h = f/‖f‖: (dh − h (h·dh)) / ‖f‖
            INDArray proj = h.mul(dh).sum(true, 1);
            grad = dh.subi(h.mulColumnVector(proj)).diviColumnVector(fNorm);
        }
        return new Eval(scores.reshape(f.rows(), 1), grad);
    }

    @Override
    public String name() {
        return "LongTailDotRegression";
    }
}
