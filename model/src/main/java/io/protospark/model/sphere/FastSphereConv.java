package io.protospark.model.sphere;

import io.protospark.model.fast.FastLayers;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * A {@link SphereConv} identical in every setting, parameter, regulariser and JSON field, whose float passes run on
 * oneDNN's convolutions ({@link FastSphereConvLayer}) instead of a SameDiff graph; double precision and backends
 * without oneDNN run the SameDiff graph of {@link SphereConv}. Built by {@link SphereConv#fastVariant()} (what
 * {@code model.fast-layers=true} does through {@link FastLayers#convert}); the no-argument constructor is for JSON.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public class FastSphereConv extends SphereConv implements FastLayers.MapLayer {
    private static final long serialVersionUID = 1L;

    /**
     * Maps in NHWC order (input and output), set by {@link FastLayers#convert} when the whole convolutional part of
     * the graph goes channels-last; the parameters do not change.
     */
    private boolean channelsLast;

    /** For Jackson and {@link SphereConv#fastVariant()}. */
    protected FastSphereConv() {
    }

    @Override
    public void setChannelsLast(boolean channelsLast) {
        this.channelsLast = channelsLast;
    }

    public boolean isChannelsLast() {
        return channelsLast;
    }

    @Override
    public org.deeplearning4j.nn.conf.inputs.InputType getOutputType(int layerIndex,
                                                                      org.deeplearning4j.nn.conf.inputs.InputType in) {
        org.deeplearning4j.nn.conf.inputs.InputType out = super.getOutputType(layerIndex, in);
        if (!channelsLast) {
            return out;
        }
        org.deeplearning4j.nn.conf.inputs.InputType.InputTypeConvolutional c =
                (org.deeplearning4j.nn.conf.inputs.InputType.InputTypeConvolutional) out;
        return org.deeplearning4j.nn.conf.inputs.InputType.convolutional(c.getHeight(), c.getWidth(), c.getChannels(),
                org.deeplearning4j.nn.conf.CNN2DFormat.NHWC);
    }

    @Override
    protected java.util.List<Object> ownFields() {
        java.util.List<Object> own = new java.util.ArrayList<>(super.ownFields());
        own.add(channelsLast);
        return own;
    }

    @Override
    RegularizedImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new FastSphereConvLayer(conf, networkDataType);
    }
}
