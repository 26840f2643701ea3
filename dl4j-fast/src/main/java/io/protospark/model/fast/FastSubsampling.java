package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * A pooling layer configuration identical to DL4J's {@link SubsamplingLayer} in every setting, parameter and JSON field, whose
 * instantiated layer runs forward and backward as libnd4j ops (see {@link NativeHelpers}). Built by
 * {@link FastLayers#convert}; the no-argument constructor is for JSON deserialisation.
 */
public class FastSubsampling extends SubsamplingLayer {
    public FastSubsampling() {
        super();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return NativeHelpers.installSubsampling(
                super.instantiate(conf, listeners, layerIndex, layerParamsView, initializeParams, networkDataType),
                networkDataType);
    }
}
