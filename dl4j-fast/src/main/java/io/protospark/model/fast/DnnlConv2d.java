package io.protospark.model.fast;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One 2-D float convolution without bias and without dilation on oneDNN's kernels ({@link DnnlConvolution}), for
 * layers outside this package that are built around a convolution (e.g. a normalised convolution whose forward and
 * backward passes are a convolution plus element-wise work). The weights are in DL4J's [out, in, kH, kW] order, the
 * maps in NCHW or NHWC order; every array must be float and dense ({@link #takes}). Primitives are built once per
 * geometry and pooled, as for the fast convolution layer.
 */
public final class DnnlConv2d {
    private final DnnlConvolution.Geometry g;

    /**
     * @param padTop  rows of zeros above the input (and {@code padBottom} below, {@code padLeft} / {@code padRight}
     *                beside it); the output size must be what these give: (in + pads − k) / stride + 1
     */
    public DnnlConv2d(long batch, long inChannels, long inH, long inW, long outChannels, long outH, long outW,
                      int kH, int kW, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                      boolean channelsLast) {
        if (outH != (inH + padTop + padBottom - kH) / strideH + 1 || outW != (inW + padLeft + padRight - kW) / strideW + 1) {
            throw new IllegalArgumentException("convolution output " + outH + "x" + outW + " does not follow from input "
                    + inH + "x" + inW + ", kernel " + kH + "x" + kW + ", stride " + strideH + "x" + strideW
                    + " and padding " + padTop + "/" + padLeft + "/" + padBottom + "/" + padRight);
        }
        this.g = new DnnlConvolution.Geometry(batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW,
                strideH, strideW, padTop, padLeft, padBottom, padRight, 1, 1, channelsLast, false,
                Dnnl.stagesMaps());
    }

    /** Whether oneDNN runs here and can work on these arrays in place: all float and dense. */
    public static boolean takes(INDArray... arrays) {
        return Dnnl.takesInPlace(arrays);
    }

    /** Whether oneDNN runs here (a CPU backend and a library that loads). */
    public static boolean available() {
        return Dnnl.engine() != null;
    }

    /** y = conv(x, w), written into {@code y}. */
    public void forward(INDArray x, INDArray w, INDArray y) {
        DnnlConvolution.forward(g, x, w, null, y);
    }

    /** dx (overwritten) from dy, the gradient at the convolution's output, and the weights. */
    public void backwardData(INDArray dy, INDArray w, INDArray dx) {
        DnnlConvolution.backwardData(g, dy, w, dx);
    }

    /** dW (overwritten) from the input x and dy. */
    public void backwardWeights(INDArray x, INDArray dy, INDArray dw) {
        DnnlConvolution.backwardWeights(g, x, dy, dw, null);
    }

    @Override
    public String toString() {
        return g.toString();
    }
}
