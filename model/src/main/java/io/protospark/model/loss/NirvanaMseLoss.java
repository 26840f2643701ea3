package io.protospark.model.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DSC default "Nirvana" loss (Cevikalp &amp; Saribas, modules/NirvanaLoss.py, {@code center_loss_nirvana}): PyTorch
 * {@code MSELoss} between each feature and its class centre, a mean over all B·D elements,
 * L = (1/(B·D)) Σ_i ‖f_i − s_{y_i}‖². Per-example score ‖f_i − s_{y_i}‖²/D, so DL4J's minibatch mean is the
 * seed's loss. Hyper-parameter free: no margin, no negatives.
 */
public class NirvanaMseLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;

    /** For Jackson. */
    protected NirvanaMseLoss() {
    }

    /** @param centres K×d class centres (radius u), row k = class k */
    public NirvanaMseLoss(INDArray centres) {
        super(centres);
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        INDArray diff = f.sub(gather(labels, t));
        double d = f.columns();
        INDArray scores = diff.mul(diff).sum(true, 1).divi(d);
        return new Eval(scores, gradient ? diff.mul(2.0 / d) : null);
    }

    @Override
    public String name() {
        return "NirvanaMse";
    }
}
