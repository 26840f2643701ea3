package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A batch normalisation layer configuration identical to DL4J's {@link BatchNormalization} in every setting,
 * parameter and JSON field, whose instantiated layer ({@link DnnlBatchNormLayer}) runs forward and backward on oneDNN
 * ({@link DnnlBatchNorm}).
 * Built by {@link FastLayers#convert}; the no-argument constructor is for JSON deserialisation.
 *
 * <p>One setting is added: {@link #isFusedRelu()}, set by {@link FastLayers#convert} when the layer's only reader is a
 * plain ReLU, which then passes its input through ({@link FastRelu#isPassThrough()}). The layer's output is then
 * max(BN(x), 0), computed in the normalisation pass.
 */
public class FastBatchNormalization extends BatchNormalization {
    private boolean fusedRelu;

    public FastBatchNormalization() {
        super();
    }

    /** Whether this layer's output is max(y, 0): the ReLU of the layer that reads it, computed here. */
    public boolean isFusedRelu() {
        return fusedRelu;
    }

    public void setFusedRelu(boolean fusedRelu) {
        this.fusedRelu = fusedRelu;
    }

    /**
     * Makes this layer compute the ReLU of the layer that reads it. DL4J's own batch norm, which knows nothing of the
     * ReLU, must then never stand in for a failing helper.
     */
    void absorbRelu() {
        fusedRelu = true;
        setCudnnAllowFallback(false);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNOutSet("BatchNormalization", getLayerName(), layerIndex, getNOut());
        DnnlBatchNorm helper = NativeHelpers.batchNormalizationHelper(networkDataType, fusedRelu);
        DnnlBatchNormLayer layer = new DnnlBatchNormLayer(conf, networkDataType, helper);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return NativeHelpers.installBatchNormalization(layer, helper);
    }

    /**
     * γ and β take the layer's regularisation (DL4J's batch norm ignores it); {@code Networks} sets one on batch
     * norm only when weight decay is to reach it, as {@code io.protospark.model.net.DecayedBatchNormalization} does.
     */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return gammaBeta(this, paramName);
    }

    /**
     * The layer's regularisation for γ and β, none for the running statistics: the rule of this layer and of
     * {@code io.protospark.model.net.DecayedBatchNormalization}, DL4J's batch norm with γ and β decayed.
     */
    public static List<Regularization> gammaBeta(BatchNormalization layer, String paramName) {
        return BatchNormalizationParamInitializer.GAMMA.equals(paramName)
                || BatchNormalizationParamInitializer.BETA.equals(paramName) ? layer.getRegularization() : null;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof FastBatchNormalization other && other.fusedRelu == fusedRelu;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(fusedRelu);
    }
}
