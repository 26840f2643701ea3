package io.protospark.model.fast;

import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.ndarray.INDArray;


import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * One 2-D float convolution geometry run on oneDNN's kernels with the maps in their own layout (NCHW or NHWC, as the
 * layer stores them) and the weights in DL4J's [out, in, kH, kW] order: forward, gradient with respect to the input
 * and gradient with respect to the weights and bias. The weights are reordered into the kernel's blocked layout on
 * each call (they are small next to the maps) and the weight gradient back into DL4J's order.
 *
 * <p>A {@link Plan} (descriptors, primitives, scratch, a stream) is built once per geometry and input shape and then
 * reused from a {@link Dnnl.Pool}.
 */
final class DnnlConvolution {
    /**
     * Everything a primitive depends on. Padding is explicit on both sides (DL4J's "same" mode pads the bottom/right
     * by what is left over); dilation is in DL4J's convention (1 = none).
     */
    record Geometry(long batch, long inChannels, long inH, long inW, long outChannels, long outH, long outW,
                    int kH, int kW, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                    int dilationH, int dilationW, boolean channelsLast, boolean bias) {
    }

    private static final Dnnl.Pool<Geometry, Plan> POOL = new Dnnl.Pool<>(Plan::new);

    private DnnlConvolution() {
    }

    /** y = conv(x, w) + b, written into {@code y}; every array dense ({@link Dnnl#dense}) and float. */
    static void forward(Geometry g, INDArray x, INDArray w, INDArray b, INDArray y) {
        run(g, p -> p.forward(x, w, b, y));
    }

    /** dx from dy (the gradient at the convolution's output, before any activation) and the weights. */
    static void backwardData(Geometry g, INDArray dy, INDArray w, INDArray dx) {
        run(g, p -> p.backwardData(dy, w, dx));
    }

    /** dW (and db when the geometry has a bias), overwritten, from x and dy. */
    static void backwardWeights(Geometry g, INDArray x, INDArray dy, INDArray dw, INDArray db) {
        run(g, p -> p.backwardWeights(x, dy, dw, db));
    }

    /** The oneDNN implementations chosen for {@code g}: forward, backward data, backward weights (for tests). */
    static String[] implementations(Geometry g) {
        String[][] names = new String[1][];
        run(g, p -> names[0] = new String[] {Dnnl.implementation(p.fwdPd), Dnnl.implementation(p.bwdDataPd),
                Dnnl.implementation(p.bwdWeightsPd)});
        return names[0];
    }

    private static void run(Geometry g, java.util.function.Consumer<Plan> body) {
        POOL.run(g, body);
    }

    /** Descriptors, primitives, scratch buffers and a stream for one geometry; used by one thread at a time. */
    private static final class Plan {
        private final dnnl_stream stream = Dnnl.stream();
        private final dnnl_primitive_desc fwdPd;
        private final dnnl_primitive_desc bwdDataPd;
        private final dnnl_primitive_desc bwdWeightsPd;
        // user-side memories: rebound to the arrays on every call
        private final dnnl_memory src;
        private final dnnl_memory dst;
        private final dnnl_memory diffSrc;
        private final dnnl_memory diffDst;
        private final dnnl_memory weights;
        private final dnnl_memory diffWeights;
        private final dnnl_memory bias;
        private final dnnl_memory diffBias;
        // weights in each kernel's layout (null when DL4J's order is already that layout)
        private final Staged fwdWeights;
        private final Staged bwdWeights;
        private final Staged diffWeightsStage;
        private final Dnnl.Call fwd;
        private final Dnnl.Call bwdData;
        private final Dnnl.Call bwdWeightsCall;

        Plan(Geometry g) {
            int tag = g.channelsLast() ? dnnl_nhwc : dnnl_nchw;
            dnnl_memory_desc_t srcMd = Dnnl.desc(new long[] {g.batch(), g.inChannels(), g.inH(), g.inW()}, dnnl_f32, tag);
            dnnl_memory_desc_t dstMd = Dnnl.desc(new long[] {g.batch(), g.outChannels(), g.outH(), g.outW()}, dnnl_f32,
                    tag);
            long[] wDims = {g.outChannels(), g.inChannels(), g.kH(), g.kW()};
            dnnl_memory_desc_t userW = Dnnl.desc(wDims, dnnl_f32, dnnl_oihw);
            dnnl_memory_desc_t anyW = Dnnl.desc(wDims, dnnl_f32, dnnl_format_tag_any);
            dnnl_memory_desc_t biasMd = g.bias() ? Dnnl.desc(new long[] {g.outChannels()}, dnnl_f32, dnnl_x) : null;
            long[] strides = {g.strideH(), g.strideW()};
            long[] dilation = {g.dilationH() - 1, g.dilationW() - 1};
            long[] padL = {g.padTop(), g.padLeft()};
            long[] padR = {g.padBottom(), g.padRight()};

            org.bytedeco.dnnl.dnnl_primitive_attr attr = Dnnl.userScratchpad();
            dnnl_convolution_desc_t fd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_forward_desc_init(fd, dnnl_forward_training, dnnl_convolution_direct,
                    srcMd, anyW, biasMd, dstMd, strides, dilation, padL, padR), "describing a convolution " + g);
            fwdPd = Dnnl.choose(fd, attr, null, "a forward convolution " + g);
            dnnl_convolution_desc_t bd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_backward_data_desc_init(bd, dnnl_convolution_direct, srcMd, anyW, dstMd,
                    strides, dilation, padL, padR), "describing a convolution's input gradient " + g);
            bwdDataPd = Dnnl.choose(bd, attr, fwdPd, "a convolution's input gradient " + g);
            dnnl_convolution_desc_t wd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_backward_weights_desc_init(wd, dnnl_convolution_direct, srcMd, anyW,
                    biasMd, dstMd, strides, dilation, padL, padR), "describing a convolution's weight gradient " + g);
            bwdWeightsPd = Dnnl.choose(wd, attr, fwdPd, "a convolution's weight gradient " + g);

            src = Dnnl.unbound(srcMd);
            dst = Dnnl.unbound(dstMd);
            diffSrc = Dnnl.unbound(srcMd);
            diffDst = Dnnl.unbound(dstMd);
            weights = Dnnl.unbound(userW);
            diffWeights = Dnnl.unbound(userW);
            bias = g.bias() ? Dnnl.unbound(biasMd) : null;
            diffBias = g.bias() ? Dnnl.unbound(biasMd) : null;

            fwdWeights = Staged.into(userW, weights, Dnnl.query(fwdPd, dnnl_query_weights_md));
            bwdWeights = Staged.into(userW, weights, Dnnl.query(bwdDataPd, dnnl_query_weights_md));
            diffWeightsStage = Staged.outOf(Dnnl.query(bwdWeightsPd, dnnl_query_diff_weights_md), userW, diffWeights);

            fwd = Dnnl.Call.of(fwdPd).arg(DNNL_ARG_SRC, src)
                    .arg(DNNL_ARG_WEIGHTS, fwdWeights == null ? weights : fwdWeights.memory)
                    .arg(DNNL_ARG_BIAS, bias).arg(DNNL_ARG_DST, dst).build();
            bwdData = Dnnl.Call.of(bwdDataPd).arg(DNNL_ARG_DIFF_DST, diffDst)
                    .arg(DNNL_ARG_WEIGHTS, bwdWeights == null ? weights : bwdWeights.memory)
                    .arg(DNNL_ARG_DIFF_SRC, diffSrc).build();
            bwdWeightsCall = Dnnl.Call.of(bwdWeightsPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_DIFF_DST, diffDst)
                    .arg(DNNL_ARG_DIFF_WEIGHTS, diffWeightsStage == null ? diffWeights : diffWeightsStage.memory)
                    .arg(DNNL_ARG_DIFF_BIAS, diffBias).build();
        }

        void forward(INDArray x, INDArray w, INDArray b, INDArray y) {
            Dnnl.bind(src, x);
            Dnnl.bind(weights, w);
            Dnnl.bind(dst, y);
            if (bias != null) {
                Dnnl.bind(bias, b);
            }
            if (fwdWeights != null) {
                fwdWeights.reorder.run(stream, "reordering convolution weights");
            }
            fwd.run(stream, "running a forward convolution");
            wait("running a forward convolution");
        }

        void backwardData(INDArray dy, INDArray w, INDArray dx) {
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(weights, w);
            Dnnl.bind(diffSrc, dx);
            if (bwdWeights != null) {
                bwdWeights.reorder.run(stream, "reordering convolution weights");
            }
            bwdData.run(stream, "running a convolution's input gradient");
            wait("running a convolution's input gradient");
        }

        void backwardWeights(INDArray x, INDArray dy, INDArray dw, INDArray db) {
            Dnnl.bind(src, x);
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(diffWeights, dw);
            if (diffBias != null) {
                Dnnl.bind(diffBias, db);
            }
            bwdWeightsCall.run(stream, "running a convolution's weight gradient");
            if (diffWeightsStage != null) {
                diffWeightsStage.reorder.run(stream, "reordering a convolution's weight gradient");
            }
            wait("running a convolution's weight gradient");
        }

        private void wait(String what) {
            Dnnl.check(dnnl_stream_wait(stream), what);
        }
    }

    /** Weights held in a kernel's own layout, with the reorder between it and DL4J's order. */
    private static final class Staged {
        final BytePointer buffer;
        final dnnl_memory memory;
        final Dnnl.Call reorder;

        private Staged(dnnl_memory_desc_t kernelMd, dnnl_memory_desc_t userMd, dnnl_memory user, boolean in) {
            buffer = Dnnl.allocate(kernelMd);
            memory = Dnnl.over(kernelMd, buffer);
            reorder = in ? Dnnl.reorder(userMd, user, kernelMd, memory) : Dnnl.reorder(kernelMd, memory, userMd, user);
        }

        /** Staging from DL4J's layout into {@code kernelMd}, or null when the two are the same. */
        static Staged into(dnnl_memory_desc_t userMd, dnnl_memory user, dnnl_memory_desc_t kernelMd) {
            return Dnnl.same(userMd, kernelMd) ? null : new Staged(kernelMd, userMd, user, true);
        }

        /** Staging out of {@code kernelMd} into DL4J's layout, or null when the two are the same. */
        static Staged outOf(dnnl_memory_desc_t kernelMd, dnnl_memory_desc_t userMd, dnnl_memory user) {
            return Dnnl.same(userMd, kernelMd) ? null : new Staged(kernelMd, userMd, user, false);
        }
    }
}
