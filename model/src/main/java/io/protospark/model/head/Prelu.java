package io.protospark.model.head;

import io.protospark.model.fast.SlopeParams;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * PReLU on a feed-forward (N×n) input: y = x for x &gt; 0, a·x otherwise, with learned slopes a. PyTorch's
 * {@code nn.PReLU()} as the DSC dimension augmentation module (DAM) uses it: by default one slope shared by all
 * features ({@link Builder#shared(boolean)} true), initialised to 0.25; {@code shared(false)} gives one slope per
 * feature ({@code nn.PReLU(n)}). Parameter key {@value #SLOPE_KEY}, shape 1×1 or 1×n; the slope counts as a weight
 * (any configured weight decay applies to it, as PyTorch's optimisers do by default).
 *
 * <p>Why not DL4J's own {@code PReLULayer}: in 1.0.0-M2.1 its backward op rejects inputs more than 64 times larger
 * than the slope array, so a shared slope (or per-feature slopes at batch &gt; 64) cannot train, and its
 * {@code setNIn} ignores the input type. This layer is plain element-wise ND4J arithmetic, gradient-checked in
 * {@code PreluTest}.
 */
public class Prelu extends FeedForwardLayer {
    private static final long serialVersionUID = 1L;

    /** Parameter key of the slopes. */
    public static final String SLOPE_KEY = SlopeParams.KEY;
    /** PyTorch's initial slope. */
    public static final double DEFAULT_SLOPE = 0.25;

    @JsonProperty("shared")
    private boolean shared = true;
    @JsonProperty("initialSlope")
    private double initialSlope = DEFAULT_SLOPE;

    /** For Jackson. */
    protected Prelu() {
    }

    private Prelu(Builder b) {
        super(b);
        this.shared = b.shared;
        this.initialSlope = b.initialSlope;
        initializeConstraints(b);
    }

    /** Whether one slope is shared by all features. */
    public boolean isShared() {
        return shared;
    }

    public double getInitialSlope() {
        return initialSlope;
    }

    /** Number of slopes: 1 when shared, else n. */
    public long slopes() {
        return shared ? 1 : nOut;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException("Prelu (layer " + layerName + ") takes a feed-forward input, got "
                    + inputType);
        }
        if (nIn <= 0 || override) {
            long n = ((InputType.InputTypeFeedForward) inputType).getSize();
            nIn = n;
            nOut = n;
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException("Prelu (layer " + layerName + ") takes a feed-forward input, got "
                    + inputType);
        }
        return inputType;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        PreluLayer layer = new PreluLayer(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, Prelu.class, inputType, inputType)
                .standardMemory(slopes(), slopes())
                .workingMemory(0, 0, MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof Prelu;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prelu p && super.equals(o) && shared == p.shared
                && Double.compare(initialSlope, p.initialSlope) == 0;
    }

    @Override
    public int hashCode() {
        return (31 * super.hashCode() + Boolean.hashCode(shared)) * 31 + Double.hashCode(initialSlope);
    }

    /** Builder: {@code nIn(n)} (nOut follows; or inferred from the input type), {@code shared}, {@code initialSlope}. */
    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        private boolean shared = true;
        private double initialSlope = DEFAULT_SLOPE;

        public Builder() {
            activation(Activation.IDENTITY);
        }

        /** One slope for all features (PyTorch {@code PReLU()}, the default) or one per feature. */
        public Builder shared(boolean shared) {
            this.shared = shared;
            return this;
        }

        public Builder initialSlope(double slope) {
            if (!Double.isFinite(slope)) {
                throw new IllegalArgumentException("Prelu initial slope must be finite, got " + slope);
            }
            this.initialSlope = slope;
            return this;
        }

        @Override
        public Builder nIn(long n) {
            super.nIn(n);
            return super.nOut(n);
        }

        @Override
        public Builder nIn(int n) {
            return nIn((long) n);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Prelu build() {
            if (nOut != nIn) {
                throw new IllegalArgumentException("Prelu keeps its width: nOut (" + nOut + ") must equal nIn ("
                        + nIn + ")");
            }
            return new Prelu(this);
        }
    }

    /** The 1 or n slopes ({@link SlopeParams}). */
    static final class Params extends SlopeParams<Prelu> {
        static final Params INSTANCE = new Params();

        private Params() {
            super(Prelu.class);
        }

        @Override
        protected long slopes(Prelu layer) {
            return layer.slopes();
        }

        @Override
        protected double initialSlope(Prelu layer) {
            return layer.getInitialSlope();
        }
    }
}
