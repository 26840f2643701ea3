package io.protospark.model.fast;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * The parameters of a PReLU layer: one array, the slopes (key {@value #KEY}), a 1×m row view of the layer's parameter
 * block, each slope initialised to the layer's initial slope, counted as a weight (weight decay applies, as in
 * PyTorch). Shared by {@link ChannelPrelu} and the feed-forward PReLU of the DAM ({@code model.head.Prelu}).
 *
 * @param <L> the layer configuration
 */
public abstract class SlopeParams<L extends Layer> implements ParamInitializer {
    /** Parameter key of the slopes. */
    public static final String KEY = "a";

    private final Class<L> type;

    protected SlopeParams(Class<L> type) {
        this.type = type;
    }

    /** How many slopes {@code layer} has. */
    protected abstract long slopes(L layer);

    /** The value every slope starts at. */
    protected abstract double initialSlope(L layer);

    private L layer(Layer layer) {
        if (!type.isInstance(layer)) {
            throw new IllegalArgumentException("expected a " + type.getSimpleName() + " layer configuration, got "
                    + layer.getClass().getName());
        }
        return type.cast(layer);
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return slopes(layer(layer));
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return List.of(KEY);
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return List.of(KEY);
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return List.of();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return KEY.equals(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return false;
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        L l = layer(conf.getLayer());
        INDArray a = view(l, paramsView);
        if (initializeParams) {
            a.assign(initialSlope(l));
        }
        conf.addVariable(KEY);
        return Map.of(KEY, a);
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return Map.of(KEY, view(layer(conf.getLayer()), gradientView));
    }

    private INDArray view(L layer, INDArray flat) {
        long m = slopes(layer);
        if (flat.length() != m) {
            throw new IllegalArgumentException(type.getSimpleName() + " (layer " + layer.getLayerName() + ") needs " + m
                    + " parameters, got a block of " + flat.length());
        }
        return flat.reshape('c', 1, m);
    }
}
