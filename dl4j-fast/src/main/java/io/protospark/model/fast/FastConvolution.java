package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * A convolution layer configuration identical to DL4J's {@link ConvolutionLayer} in every setting, parameter and JSON
 * field, whose instantiated layer runs float passes on oneDNN directly ({@link DnnlConvolutionLayer}) and anything else
 * as libnd4j ops (see {@link NativeHelpers}). Built by {@link FastLayers#convert}; the no-argument constructor is for
 * JSON deserialisation.
 */
public class FastConvolution extends ConvolutionLayer {
    public FastConvolution() {
        super();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        // the stock instantiate, with the layer class swapped
        LayerValidation.assertNInNOutSet("ConvolutionLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        DnnlConvolutionLayer layer = new DnnlConvolutionLayer(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        ParamInitializer initializer = initializer();
        layer.setParamTable(initializer.init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return NativeHelpers.installConvolution(layer, networkDataType);
    }
}
