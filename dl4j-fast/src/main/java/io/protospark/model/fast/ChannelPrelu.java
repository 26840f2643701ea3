package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
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

import java.util.Collection;

/**
 * PReLU over the channels of a feature map, PyTorch's {@code nn.PReLU(c)}: y = x for x &gt; 0, a<sub>k</sub>·x
 * otherwise, one learned slope a<sub>k</sub> per channel k, initialised to 0.25. Parameter key {@value #SLOPE_KEY},
 * shape 1×c; the slopes count as weights (weight decay applies to them, as in PyTorch's optimisers).
 *
 * <p>The maps may be channels-first (NCHW, the default) or channels-last (NHWC, {@link #setCnn2dDataFormat}); in a
 * graph {@link FastLayers#convert} puts them channels-last like the convolutions around them ({@link ChannelsLast}).
 * Float maps run on oneDNN's PReLU kernels ({@link DnnlPrelu}), one pass forward and one backward; anything else
 * (double precision, another backend) on libnd4j's broadcast ops.
 *
 * <p>Why not DL4J's own {@code PReLULayer}: in 1.0.0-M2.1 its backward op rejects inputs more than 64 times larger
 * than the slope array, which per-channel slopes on any realistic map are.
 */
public class ChannelPrelu extends FeedForwardLayer {
    private static final long serialVersionUID = 1L;

    /** Parameter key of the slopes. */
    public static final String SLOPE_KEY = SlopeParams.KEY;
    /** PyTorch's initial slope. */
    public static final double DEFAULT_SLOPE = 0.25;

    @JsonProperty("initialSlope")
    private double initialSlope = DEFAULT_SLOPE;
    @JsonProperty("cnn2dDataFormat")
    private CNN2DFormat cnn2dDataFormat = CNN2DFormat.NCHW;

    /** For Jackson. */
    protected ChannelPrelu() {
    }

    private ChannelPrelu(Builder b) {
        super(b);
        this.initialSlope = b.initialSlope;
        initializeConstraints(b);
    }

    public double getInitialSlope() {
        return initialSlope;
    }

    public CNN2DFormat getCnn2dDataFormat() {
        return cnn2dDataFormat;
    }

    public void setCnn2dDataFormat(CNN2DFormat format) {
        this.cnn2dDataFormat = java.util.Objects.requireNonNull(format, "format");
    }

    private InputType.InputTypeConvolutional map(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c)) {
            throw new IllegalArgumentException("ChannelPrelu (layer " + layerName + ") takes a feature map (CNN "
                    + "input), got " + inputType);
        }
        return c;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeConvolutional c = map(inputType);
        if (nIn <= 0 || override) {
            nIn = c.getChannels();
            nOut = nIn;
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return map(inputType);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null; // maps in, maps out: never flattened
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        ChannelPreluLayer layer = new ChannelPreluLayer(conf, networkDataType);
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
        long perExample = inputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(layerName, ChannelPrelu.class, inputType, inputType)
                .standardMemory(nIn, nIn)
                .workingMemory(0, 0, 0, perExample) // the backward pass's output
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof ChannelPrelu;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelPrelu p && super.equals(o) && Double.compare(initialSlope, p.initialSlope) == 0
                && cnn2dDataFormat == p.cnn2dDataFormat;
    }

    @Override
    public int hashCode() {
        return (31 * super.hashCode() + Double.hashCode(initialSlope)) * 31 + cnn2dDataFormat.hashCode();
    }

    /** Builder: {@code nIn(c)} (or inferred from the input type), {@code initialSlope}. */
    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        private double initialSlope = DEFAULT_SLOPE;

        public Builder() {
            activation(Activation.IDENTITY);
        }

        public Builder initialSlope(double slope) {
            if (!Double.isFinite(slope)) {
                throw new IllegalArgumentException("ChannelPrelu initial slope must be finite, got " + slope);
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
        public ChannelPrelu build() {
            if (nOut != nIn) {
                throw new IllegalArgumentException("ChannelPrelu keeps its channels: nOut (" + nOut
                        + ") must equal nIn (" + nIn + ")");
            }
            return new ChannelPrelu(this);
        }
    }

    /** The c slopes ({@link SlopeParams}). */
    static final class Params extends SlopeParams<ChannelPrelu> {
        static final Params INSTANCE = new Params();

        private Params() {
            super(ChannelPrelu.class);
        }

        @Override
        protected long slopes(ChannelPrelu layer) {
            return layer.getNIn();
        }

        @Override
        protected double initialSlope(ChannelPrelu layer) {
            return layer.getInitialSlope();
        }
    }
}
