package io.protospark.model.sphere;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * The logits of SphereNet's weight-normalised softmax ({@code w_norm} on the score layer): z_k = (w_k·f) / ‖w_k‖ with
 * ‖w_k‖ = √(Σw² + 1e-4); the feature f is NOT normalised and there is no bias. Put a softmax cross-entropy
 * {@code LossLayer} on top (see {@link io.protospark.model.backbone.Backbones#addWeightNormSoftmax}). The seed's linear / sigmoid
 * variants of w_norm (g applied to this ratio) are not built: the ratio is not a cosine, and only the cosine variant
 * has a reported result.
 *
 * <p>Unlike the sphere layers, this classifier keeps the network's global weight decay (the seed decays its score
 * layer). W is stored [nOut, nIn] in c order (one class per row).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public class WeightNormDense extends DenseLayerBase {
    private static final long serialVersionUID = 1L;

    /** For Jackson. */
    protected WeightNormDense() {
    }

    /** @param nIn input features, or 0 to infer from the input type */
    public WeightNormDense(long nIn, long nOut) {
        if (nOut <= 0) {
            throw new IllegalArgumentException("WeightNormDense needs nOut > 0, found " + nOut);
        }
        this.nIn = nIn;
        this.nOut = nOut;
    }

    @Override
    protected boolean refusesGlobalRegularization() {
        return false;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable w = params.get("W");
        SDVariable y = sd.mmul(x, w, false, true, false);
        SDVariable wNorm = sd.math().sqrt(sd.sum(sd.math().square(w), true, 1).add(NORM_EPS)).reshape(1, (int) nOut);
        return y.div(wNorm);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam("W", nOut, nIn);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initW(params.get("W"));
    }

    @Override
    protected List<Object> ownFields() {
        return List.of();
    }
}
