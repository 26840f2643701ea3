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
public class FastSphereConv extends SphereConv implements FastLayers.Fast {
    private static final long serialVersionUID = 1L;

    /** For Jackson and {@link SphereConv#fastVariant()}. */
    protected FastSphereConv() {
    }

    @Override
    RegularizedImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new FastSphereConvLayer(conf, networkDataType);
    }
}
