package io.protospark.model.sphere;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * The dense form of SphereConv: one "window" that is the whole (flattened) input, c = (w·x)/(‖w‖·‖x‖) with the
 * seed's 1e-4 inside both norms, output g(θ) ∈ [−1, 1] for the chosen {@link SphereOperator}. A k×k VALID
 * SphereConv over a k×k map — the seed's fc6 in SphereNet-9 — is exactly this layer on the flattened map.
 * Same regularisation as {@link SphereConv}: orthogonality penalty, no global weight decay. No bias.
 * W is stored [nOut, nIn] in c order.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public class SphereDense extends DenseLayerBase {
    private static final long serialVersionUID = 1L;

    private SphereOperator operator = SphereOperator.COSINE;
    private double sigmoidK = 0.3;
    private double learnableKInit = 0.7;

    /** For Jackson. */
    protected SphereDense() {
    }

    /**
     * @param nIn                 input features, or 0 to infer from the input type
     * @param orthogonalityLambda λ of the {@link OrthogonalityPenalty} (0 for none)
     */
    public SphereDense(long nIn, long nOut, SphereOperator operator, double sigmoidK, double learnableKInit,
                       double orthogonalityLambda) {
        if (nOut <= 0) {
            throw new IllegalArgumentException("SphereDense needs nOut > 0, found " + nOut);
        }
        if (!(sigmoidK > 0)) {
            throw new IllegalArgumentException("SphereDense sigmoid k must be > 0, found " + sigmoidK);
        }
        this.nIn = nIn;
        this.nOut = nOut;
        this.operator = operator;
        this.sigmoidK = sigmoidK;
        this.learnableKInit = learnableKInit;
        if (orthogonalityLambda > 0) {
            this.regularization.add(new OrthogonalityPenalty(orthogonalityLambda, Math.toIntExact(nOut)));
        }
    }

    /** A dense SphereConv with the settings' k, learnable-k init and λ and the given operator. */
    public static SphereDense of(long nOut, SphereOperator operator, SphereSettings s) {
        return new SphereDense(0, nOut, operator, s.sigmoidK(), s.learnableKInit(), s.orthogonalityLambda());
    }

    public SphereOperator getOperator() {
        return operator;
    }

    @Override
    protected boolean refusesGlobalRegularization() {
        return true;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable w = params.get("W");
        SDVariable y = sd.mmul(x, w, false, true, false);
        SDVariable xNorm = sd.math().sqrt(sd.sum(sd.math().square(x), true, 1).add(NORM_EPS));
        SDVariable wNorm = sd.math().sqrt(sd.sum(sd.math().square(w), true, 1).add(NORM_EPS)).reshape(1, (int) nOut);
        SDVariable cos = y.div(xNorm).div(wNorm);
        SDVariable kRaw = operator == SphereOperator.LEARNABLE_SIGMOID ? params.get("k") : null;
        return operator.apply(sd, cos, sigmoidK, kRaw);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam("W", nOut, nIn);
        if (operator == SphereOperator.LEARNABLE_SIGMOID) {
            params.addBiasParam("k", 1, nOut);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initW(params.get("W"));
        if (params.containsKey("k")) {
            params.get("k").assign(learnableKInit);
        }
    }

    @Override
    protected List<Object> ownFields() {
        return List.of(operator, sigmoidK, learnableKInit);
    }
}
