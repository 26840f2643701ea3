package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * A batch normalisation layer configuration identical to DL4J's {@link BatchNormalization} in every setting, parameter and JSON field, whose
 * instantiated layer runs forward and backward as libnd4j ops (see {@link NativeHelpers}). Built by
 * {@link FastLayers#convert}; the no-argument constructor is for JSON deserialisation.
 */
public class FastBatchNormalization extends BatchNormalization {
    public FastBatchNormalization() {
        super();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return NativeHelpers.installBatchNormalization(
                super.instantiate(conf, listeners, layerIndex, layerParamsView, initializeParams, networkDataType),
                networkDataType);
    }
}
