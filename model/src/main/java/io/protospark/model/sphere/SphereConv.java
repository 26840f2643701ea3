package io.protospark.model.sphere;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * SphereConv (SphereNet, Liu et al., NeurIPS 2017) as a DL4J layer: for each output location and filter w, with x the
 * input window across all input channels, c = (w·x) / (‖w‖·‖x‖) where ‖w‖ = √(Σw² + 1e-4) and the window norm
 * ‖x‖ = √(conv(x², ones) + 1e-4) is computed per output location with the convolution's own stride and padding (as in
 * the seed's {@code spherenet.py}); the output is g(θ), θ = arccos c, for the chosen {@link SphereOperator}. Outputs
 * lie in [−1, 1] and do not change when an input window or a filter is scaled by a positive constant (up to the
 * epsilon). There is no bias (batch normalisation follows in the seed's nets).
 *
 * <p>Regularisation, as in the seed: an {@link OrthogonalityPenalty} ½λ‖WᵀW − I‖²_F (λ = 2e-4 by default) and no
 * weight decay — the network's global L2 / weight decay is not applied to these filters. The learnable-sigmoid k is
 * registered as a bias-type parameter, so neither the penalty nor an energy regulariser touches it.
 *
 * <p>Built from SameDiff ops (libnd4j {@code conv2d}, element-wise ops, arccos), so
 * forward and backward run as native ops; the configuration serialises to JSON with the network (Spark ships it
 * so). Data format NCHW.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public class SphereConv extends SphereLayerBase implements io.protospark.model.fast.FastLayers.Convertible {
    private static final long serialVersionUID = 1L;

    private int[] kernelSize = {3, 3};
    private int[] stride = {1, 1};
    private int[] padding = {0, 0};
    /** SAME padding (output = ⌈input / stride⌉) instead of explicit padding with truncation. */
    private boolean samePadding;
    private SphereOperator operator = SphereOperator.COSINE;
    private double sigmoidK = 0.3;
    private double learnableKInit = 0.7;

    /** For Jackson. */
    protected SphereConv() {
    }

    private SphereConv(Builder b) {
        this.nIn = b.nIn;
        this.nOut = b.nOut;
        this.kernelSize = b.kernelSize.clone();
        this.stride = b.stride.clone();
        this.padding = b.padding.clone();
        this.samePadding = b.samePadding;
        this.operator = b.operator;
        this.sigmoidK = b.sigmoidK;
        this.learnableKInit = b.learnableKInit;
        this.weightInitFn = b.weightInit;
        if (b.orthogonalityLambda > 0) {
            this.regularization.add(new OrthogonalityPenalty(b.orthogonalityLambda, Math.toIntExact(b.nOut)));
        }
    }

    public SphereOperator getOperator() {
        return operator;
    }

    public double getSigmoidK() {
        return sigmoidK;
    }

    public int[] getKernelSize() {
        return kernelSize.clone();
    }

    public int[] getStride() {
        return stride.clone();
    }

    /** The explicit padding (ignored with {@link #isSamePadding()}). */
    public int[] getPadding() {
        return padding.clone();
    }

    public boolean isSamePadding() {
        return samePadding;
    }

    /**
     * The {@link FastSphereConv} with this layer's settings (the same parameters, regularisers and JSON fields): its
     * float passes run on oneDNN's convolutions. {@code model.fast-layers=true} swaps it in.
     */
    @Override
    public org.deeplearning4j.nn.conf.layers.Layer fastVariant() {
        if (this instanceof FastSphereConv) {
            return this;
        }
        SphereConv copy = clone();
        FastSphereConv fast = new FastSphereConv();
        for (Class<?> c = SphereConv.class; c != Object.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    f.set(fast, f.get(copy));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot copy setting '" + f.getName() + "' of " + c.getName()
                            + " into " + FastSphereConv.class.getName(), e);
                }
            }
        }
        return fast;
    }

    @Override
    public SphereConv clone() {
        SphereConv c = (SphereConv) super.clone();
        c.kernelSize = kernelSize.clone();
        c.stride = stride.clone();
        c.padding = padding.clone();
        return c;
    }

    @Override
    public long fanIn() {
        return nIn * kernelSize[0] * kernelSize[1];
    }

    @Override
    protected boolean refusesGlobalRegularization() {
        return true;
    }

    private Conv2DConfig convConfig() {
        return Conv2DConfig.builder()
                .kH(kernelSize[0]).kW(kernelSize[1])
                .sH(stride[0]).sW(stride[1])
                .pH(samePadding ? 0 : padding[0]).pW(samePadding ? 0 : padding[1])
                .dH(1).dW(1)
                .paddingMode(samePadding ? PaddingMode.SAME : PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NCHW)
                .weightsFormat(WeightsFormat.YXIO)
                .build();
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable w = params.get("W");
        Conv2DConfig cfg = convConfig();
        // libnd4j's conv2d_bp in 1.0.0-M2.1 fails validation for [oC, iC, kH, kW] weights, so W (stored
        // [nOut, nIn, kH, kW] like DL4J's convolution) is permuted to the default [kH, kW, iC, oC] layout.
        SDVariable y = sd.cnn().conv2d(x, w.permute(2, 3, 1, 0), cfg);
        SDVariable x2 = sd.sum(sd.math().square(x), true, 1);
        SDVariable ones = sd.constant(Nd4j.ones(x.dataType(), kernelSize[0], kernelSize[1], 1, 1));
        SDVariable xNorm = sd.math().sqrt(sd.cnn().conv2d(x2, ones, cfg).add(NORM_EPS));
        SDVariable wNorm = sd.math().sqrt(sd.sum(sd.math().square(w), true, 1, 2, 3).add(NORM_EPS))
                .reshape(1, (int) nOut, 1, 1);
        SDVariable cos = y.div(xNorm).div(wNorm);
        SDVariable kRaw = operator == SphereOperator.LEARNABLE_SIGMOID
                ? params.get("k").reshape(1, (int) nOut, 1, 1) : null;
        return operator.apply(sd, cos, sigmoidK, kRaw);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam("W", nOut, nIn, kernelSize[0], kernelSize[1]);
        if (operator == SphereOperator.LEARNABLE_SIGMOID) {
            params.addBiasParam("k", 1, nOut);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initW(params.get("W"));
        if (params.containsKey("k")) {
            params.get("k").assign(learnableKInit);
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c)) {
            throw new IllegalArgumentException("SphereConv layer " + getLayerName()
                    + " needs a convolutional (NCHW) input, found " + inputType);
        }
        long h = outSize(c.getHeight(), 0);
        long w = outSize(c.getWidth(), 1);
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("SphereConv layer " + getLayerName() + ": kernel "
                    + kernelSize[0] + "x" + kernelSize[1] + " does not fit the " + c.getHeight() + "x" + c.getWidth()
                    + " input");
        }
        return InputType.convolutional(h, w, nOut);
    }

    private long outSize(long in, int axis) {
        if (samePadding) {
            return (in + stride[axis] - 1) / stride[axis];
        }
        return (in + 2L * padding[axis] - kernelSize[axis]) / stride[axis] + 1;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (inputType instanceof InputType.InputTypeConvolutional c && (nIn <= 0 || override)) {
            nIn = c.getChannels();
            setLayerParams(null); // parameter shapes depend on nIn; drop any cached definition
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    /** Builder; defaults: 3×3, stride 1, padding 0, cosine, k = 0.3, learnable k_raw = 0.7, λ = 2e-4. */
    public static final class Builder {
        private long nIn;
        private long nOut;
        private int[] kernelSize = {3, 3};
        private int[] stride = {1, 1};
        private int[] padding = {0, 0};
        private boolean samePadding;
        private SphereOperator operator = SphereOperator.COSINE;
        private double sigmoidK = 0.3;
        private double learnableKInit = 0.7;
        private double orthogonalityLambda = 2e-4;
        private org.deeplearning4j.nn.weights.IWeightInit weightInit;

        public Builder(int kH, int kW) {
            this.kernelSize = new int[]{kH, kW};
        }

        public Builder nIn(long nIn) {
            this.nIn = nIn;
            return this;
        }

        public Builder nOut(long nOut) {
            this.nOut = nOut;
            return this;
        }

        public Builder stride(int sH, int sW) {
            this.stride = new int[]{sH, sW};
            return this;
        }

        public Builder padding(int pH, int pW) {
            this.padding = new int[]{pH, pW};
            return this;
        }

        public Builder samePadding(boolean same) {
            this.samePadding = same;
            return this;
        }

        public Builder operator(SphereOperator operator) {
            this.operator = operator;
            return this;
        }

        public Builder sigmoidK(double k) {
            this.sigmoidK = k;
            return this;
        }

        public Builder learnableKInit(double kRaw) {
            this.learnableKInit = kRaw;
            return this;
        }

        public Builder orthogonalityLambda(double lambda) {
            this.orthogonalityLambda = lambda;
            return this;
        }

        public Builder weightInit(org.deeplearning4j.nn.weights.IWeightInit init) {
            this.weightInit = init;
            return this;
        }

        /** Copies operator, k, learnable k init and λ from the settings. */
        public Builder settings(SphereSettings s) {
            return operator(s.operator()).sigmoidK(s.sigmoidK()).learnableKInit(s.learnableKInit())
                    .orthogonalityLambda(s.orthogonalityLambda());
        }

        public SphereConv build() {
            if (nOut <= 0) {
                throw new IllegalArgumentException("SphereConv needs nOut > 0, found " + nOut);
            }
            if (kernelSize[0] <= 0 || kernelSize[1] <= 0 || stride[0] <= 0 || stride[1] <= 0
                    || padding[0] < 0 || padding[1] < 0) {
                throw new IllegalArgumentException("SphereConv needs positive kernel and stride and padding >= 0");
            }
            if (!(sigmoidK > 0)) {
                throw new IllegalArgumentException("SphereConv sigmoid k must be > 0, found " + sigmoidK);
            }
            if (!(orthogonalityLambda >= 0)) {
                throw new IllegalArgumentException("orthogonality lambda must be >= 0, found " + orthogonalityLambda);
            }
            return new SphereConv(this);
        }
    }

    @Override
    protected List<Object> ownFields() {
        return List.of(java.util.Arrays.toString(kernelSize), java.util.Arrays.toString(stride), java.util.Arrays.toString(padding), samePadding, operator, sigmoidK, learnableKInit);
    }
}
