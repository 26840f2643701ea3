package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution layer with its float training and inference passes on oneDNN's kernels, called directly
 * ({@link DnnlConvolution}), in the layer's own map layout.
 *
 * <p>Compared with the stock layer with a native helper this also drops work DL4J does around the helper: the
 * forward pass no longer copies a channels-last input into channels-first order (which only the im2col path reads),
 * and the backward pass no longer re-runs the forward convolution when the layer's activation is the identity (as in
 * every conv → batch-norm block), since the gradient at the output is then the incoming one, or a plain ReLU, whose
 * derivative the layer reads from the sign of its own training output.
 *
 * <p>Everything else is the stock layer's: parameters and gradient views, weight noise, dropout, the activation,
 * workspaces, and validation. Inputs it does not take (double precision, a non-CPU backend, ranks other than 4, the
 * causal mode) run the stock code with the libnd4j helper.
 */
final class DnnlConvolutionLayer extends ConvolutionLayer {
    /** Passes run on oneDNN (not on the stock fallback), for tests that must see which path ran. */
    private long oneDnnForward;
    private long oneDnnBackward;
    /**
     * With a plain ReLU as the layer's activation: the last training output max(z, 0) and the input it came from.
     * Its sign is the ReLU's derivative, so the backward pass needs no second forward convolution to recover z.
     */
    private INDArray reluOutput;
    private INDArray reluOutputInput;

    DnnlConvolutionLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    long oneDnnForwardPasses() {
        return oneDnnForward;
    }

    long oneDnnBackwardPasses() {
        return oneDnnBackward;
    }

    private boolean takes(INDArray in) {
        return in != null && in.rank() == 4 && in.dataType() == DataType.FLOAT && dataType == DataType.FLOAT
                && convolutionMode != ConvolutionMode.Causal && Dnnl.engine() != null;
    }

    private org.deeplearning4j.nn.conf.layers.ConvolutionLayer conv() {
        return (org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layerConf();
    }

    /** The geometry of this layer on {@code in}; validates the input as the stock layer does. */
    private DnnlConvolution.Geometry geometry(INDArray in, INDArray weights) {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = conv();
        CNN2DFormat format = c.getCnn2dDataFormat();
        boolean last = format == CNN2DFormat.NHWC;
        int hDim = last ? 1 : 2;
        int cDim = last ? 3 : 1;
        long inChannels = weights.size(1);
        validateInputDepth(in.size(cDim));
        int[] kernel = c.getKernelSize();
        int[] strides = c.getStride();
        int[] dilation = c.getDilation();
        int inH = (int) in.size(hDim);
        int inW = (int) in.size(hDim + 1);
        int[] out;
        int[] padTL;
        int[] padBR;
        if (convolutionMode == ConvolutionMode.Same) {
            out = ConvolutionUtils.getOutputSize(in, kernel, strides, null, convolutionMode, dilation, format);
            padTL = ConvolutionUtils.getSameModeTopLeftPadding(out, new int[] {inH, inW}, kernel, strides, dilation);
            padBR = new int[2];
            int[] size = {inH, inW};
            for (int i = 0; i < 2; i++) {
                int extent = (kernel[i] - 1) * dilation[i] + 1;
                padBR[i] = Math.max(0, (out[i] - 1) * strides[i] + extent - size[i] - padTL[i]);
            }
        } else {
            padTL = c.getPadding();
            padBR = padTL;
            out = ConvolutionUtils.getOutputSize(in, kernel, strides, padTL, convolutionMode, dilation, format);
        }
        return new DnnlConvolution.Geometry(in.size(0), inChannels, inH, inW, weights.size(0), out[0], out[1],
                kernel[0], kernel[1], strides[0], strides[1], padTL[0], padTL[1], padBR[0], padBR[1],
                dilation[0], dilation[1], last, hasBias(), Dnnl.stagesMaps());
    }

    private static long[] mapShape(DnnlConvolution.Geometry g, boolean output) {
        long c = output ? g.outChannels() : g.inChannels();
        long h = output ? g.outH() : g.inH();
        long w = output ? g.outW() : g.inW();
        return g.channelsLast() ? new long[] {g.batch(), h, w, c} : new long[] {g.batch(), c, h, w};
    }

    private static INDArray dense(INDArray a) {
        return Dnnl.dense(a) ? a : a.dup('c');
    }

    private boolean plainRelu() {
        return FastRelu.isPlainRelu(conv().getActivationFn());
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        reluOutput = null;
        reluOutputInput = null;
        boolean caching = cacheMode != null && cacheMode != org.deeplearning4j.nn.conf.CacheMode.NONE;
        if (!takes(input) || !plainRelu() || caching) {
            return super.activate(training, mgr);
        }
        applyDropOutIfNecessary(training, mgr);
        INDArray z = preOutput(training, false, mgr).getFirst();
        DnnlRelu.forward(z, z); // in place: z is this pass's own array
        if (training) {
            reluOutput = z;
            reluOutputInput = input;
        }
        return z;
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput(boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        if (!takes(input)) {
            return super.preOutput(training, forBackprop, mgr);
        }
        INDArray bias = hasBias() ? dense(getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, training, mgr)) : null;
        INDArray weights = dense(getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, training, mgr));
        INDArray in = dense(input);
        DnnlConvolution.Geometry g = geometry(in, weights);
        INDArray z = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, mapShape(g, true), 'c');
        DnnlConvolution.forward(g, in, weights, bias, z);
        oneDnnForward++;
        return new Pair<>(z, null);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (!takes(input)) {
            return super.backpropGradient(epsilon, mgr);
        }
        INDArray weights = dense(getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, true, mgr));
        INDArray in = dense(input);
        DnnlConvolution.Geometry g = geometry(in, weights);

        IActivation afn = conv().getActivationFn();
        INDArray delta;
        if (afn instanceof ActivationIdentity) {
            delta = epsilon;
        } else if (reluOutput != null && reluOutputInput == input
                && DnnlRelu.takes(reluOutput, epsilon = dense(epsilon))) {
            delta = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, reluOutput.shape(), 'c');
            DnnlRelu.backward(reluOutput, epsilon, delta); // [max(z, 0) > 0] = [z > 0]
        } else {
            delta = afn.backprop(preOutput(true, true, mgr).getFirst(), epsilon).getFirst();
        }
        delta = dense(delta);

        INDArray weightGrad = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray biasGrad = hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null;
        if (!Dnnl.dense(weightGrad) || biasGrad != null && !Dnnl.dense(biasGrad)) {
            return super.backpropGradient(epsilon, mgr); // oneDNN writes gradients in place only
        }
        INDArray epsNext = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, mapShape(g, false), 'c');
        DnnlConvolution.backwardData(g, delta, weights, epsNext);
        DnnlConvolution.backwardWeights(g, in, delta, weightGrad, biasGrad);
        oneDnnBackward++;

        Gradient gradient = new DefaultGradient();
        if (biasGrad != null) {
            gradient.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, biasGrad);
        }
        gradient.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, weightGrad, 'c');
        weightNoiseParams.clear();
        return new Pair<>(gradient, backpropDropOutIfPresent(epsNext));
    }
}
