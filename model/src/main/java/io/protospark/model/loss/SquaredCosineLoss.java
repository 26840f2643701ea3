package io.protospark.model.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL2PA balanced-data loss (HPN style): per example (1 − cos(f_i, p_{σ(y_i)}))², in [0, 4], zero when f_i is a
 * positive multiple of its prototype. The seed SUMS over the batch; DL4J reports the minibatch mean (and divides the
 * gradient by B), so the seed's objective is {@code computeScore(..., average = false)} and its step equals a DL4J
 * step with the learning rate multiplied by B (or a configuration with {@code miniBatch(false)}).
 * Norms below 1e-8 are clamped, like {@code F.cosine_similarity}.
 */
public class SquaredCosineLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;
    private static final double EPS = 1e-8;

    /** For Jackson. */
    protected SquaredCosineLoss() {
    }

    /** @param prototypes K×d, row c = prototype currently assigned to class c (need not be unit norm) */
    public SquaredCosineLoss(INDArray prototypes) {
        super(prototypes);
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        INDArray tHat = gather(labels, t);
        tHat.diviColumnVector(rowNorms(tHat, EPS));
        INDArray fNorm = rowNorms(f, EPS);
        INDArray fHat = f.divColumnVector(fNorm);
        INDArray cos = fHat.mul(tHat).sum(true, 1);
        INDArray oneMinus = cos.rsub(1.0);
        INDArray scores = oneMinus.mul(oneMinus);
        INDArray grad = null;
        if (gradient) {
            // d cos / d f = (t̂ − cos·f̂) / ‖f‖ ; d score / d cos = −2(1 − cos)
            INDArray dcos = tHat.sub(fHat.mulColumnVector(cos)).diviColumnVector(fNorm);
            grad = dcos.muliColumnVector(oneMinus.mul(-2.0));
        }
        return new Eval(scores, grad);
    }

    @Override
    public String name() {
        return "SquaredCosine";
    }
}
