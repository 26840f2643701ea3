package io.protospark.model.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DSC softmax variant ({@code cross_entropy_nirvana}): logits z_ik = f_i · s_k against all (un-normalised, radius u)
 * centres, p = softmax(z), L = −(1/(B·C)) Σ_i log p_{i,y_i} — standard cross-entropy divided by the class count C
 * (PyTorch averages over the B·C entries). Per-example score −Σ_k y_ik log p_ik / C, so soft labels summing to one
 * are accepted too.
 */
public class NirvanaSoftmaxLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;

    /** For Jackson. */
    protected NirvanaSoftmaxLoss() {
    }

    public NirvanaSoftmaxLoss(INDArray centres) {
        super(centres);
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        double c = t.rows();
        INDArray z = f.mmul(t.transpose());
        INDArray shifted = z.subColumnVector(z.max(true, 1));
        INDArray logSum = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
        INDArray logP = shifted.subColumnVector(logSum);
        INDArray scores = logP.mul(labels).sum(true, 1).negi().divi(c);
        INDArray grad = null;
        if (gradient) {
            INDArray p = Transforms.exp(logP, true);
            INDArray dz = p.mulColumnVector(labels.sum(true, 1)).subi(labels).divi(c);
            grad = dz.mmul(t);
        }
        return new Eval(scores, grad);
    }

    @Override
    public String name() {
        return "NirvanaSoftmax";
    }
}
