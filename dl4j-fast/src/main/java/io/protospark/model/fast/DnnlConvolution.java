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
 * <p>With {@link Geometry#kernelLayout()} the maps are staged too: oneDNN picks the layout its kernels run fastest on
 * (channel-blocked, e.g. nChw8c on AVX2), each map is reordered into a per-thread staging buffer before the kernel and
 * each output back after it, as PyTorch does. On the project's AVX2 machine this made IResNet-50's convolutions about
 * a third faster and a training step about 11 % faster net of the reorders; on AVX-512 the channels-last kernels
 * were already ahead of PyTorch, so {@link Dnnl#stagesMaps()} turns staging on only below AVX-512.
 *
 * <p>A {@link Plan} (descriptors, primitives, scratch, a stream) is built once per geometry and input shape and then
 * reused from a {@link Dnnl.Pool}.
 */
final class DnnlConvolution {
    /**
     * Everything a primitive depends on. Padding is explicit on both sides (DL4J's "same" mode pads the bottom/right
     * by what is left over); dilation is in DL4J's convention (1 = none). {@code kernelLayout}: let oneDNN choose the
     * maps' layout for its kernels and stage them there ({@link Dnnl#stagesMaps()}).
     */
    record Geometry(long batch, long inChannels, long inH, long inW, long outChannels, long outH, long outW,
                    int kH, int kW, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                    int dilationH, int dilationW, boolean channelsLast, boolean bias, boolean kernelLayout) {
    }

    private static final Dnnl.Pool<Geometry, Plan> POOL = new Dnnl.Pool<>(Plan::new);
    /** Per-thread staging buffers for maps in a kernel's own layout; a call stages at most two maps at once. */
    private static final ThreadLocal<BytePointer[]> STAGING = ThreadLocal.withInitial(() -> new BytePointer[2]);

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

    /** How many of the six map arguments of {@code g}'s three passes are staged in another layout (for tests). */
    static int stagedMaps(Geometry g) {
        int[] count = new int[1];
        run(g, p -> count[0] = java.util.stream.Stream.of(p.fwdSrc, p.fwdDst, p.bwdDiffDst, p.bwdDiffSrc, p.bwdWSrc,
                p.bwdWDiffDst).mapToInt(m -> m == null ? 0 : 1).sum());
        return count[0];
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
        // maps in each kernel's layout (null when the layer's layout is that layout)
        private final MapStage fwdSrc;
        private final MapStage fwdDst;
        private final MapStage bwdDiffDst;
        private final MapStage bwdDiffSrc;
        private final MapStage bwdWSrc;
        private final MapStage bwdWDiffDst;
        private final Dnnl.Call fwd;
        private final Dnnl.Call bwdData;
        private final Dnnl.Call bwdWeightsCall;

        Plan(Geometry g) {
            int tag = g.channelsLast() ? dnnl_nhwc : dnnl_nchw;
            long[] srcDims = {g.batch(), g.inChannels(), g.inH(), g.inW()};
            long[] dstDims = {g.batch(), g.outChannels(), g.outH(), g.outW()};
            dnnl_memory_desc_t srcMd = Dnnl.desc(srcDims, dnnl_f32, tag);
            dnnl_memory_desc_t dstMd = Dnnl.desc(dstDims, dnnl_f32, tag);
            boolean kernelLayout = g.kernelLayout();
            dnnl_memory_desc_t kSrc = kernelLayout ? Dnnl.desc(srcDims, dnnl_f32, dnnl_format_tag_any) : srcMd;
            dnnl_memory_desc_t kDst = kernelLayout ? Dnnl.desc(dstDims, dnnl_f32, dnnl_format_tag_any) : dstMd;
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
                    kSrc, anyW, biasMd, kDst, strides, dilation, padL, padR), "describing a convolution " + g);
            fwdPd = Dnnl.choose(fd, attr, null, "a forward convolution " + g);
            dnnl_convolution_desc_t bd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_backward_data_desc_init(bd, dnnl_convolution_direct, kSrc, anyW, kDst,
                    strides, dilation, padL, padR), "describing a convolution's input gradient " + g);
            bwdDataPd = Dnnl.choose(bd, attr, fwdPd, "a convolution's input gradient " + g);
            dnnl_convolution_desc_t wd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_backward_weights_desc_init(wd, dnnl_convolution_direct, kSrc, anyW,
                    biasMd, kDst, strides, dilation, padL, padR), "describing a convolution's weight gradient " + g);
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
            fwdSrc = MapStage.into(srcMd, src, Dnnl.query(fwdPd, dnnl_query_src_md), 0);
            fwdDst = MapStage.outOf(Dnnl.query(fwdPd, dnnl_query_dst_md), dstMd, dst, 1);
            bwdDiffDst = MapStage.into(dstMd, diffDst, Dnnl.query(bwdDataPd, dnnl_query_diff_dst_md), 0);
            bwdDiffSrc = MapStage.outOf(Dnnl.query(bwdDataPd, dnnl_query_diff_src_md), srcMd, diffSrc, 1);
            bwdWSrc = MapStage.into(srcMd, src, Dnnl.query(bwdWeightsPd, dnnl_query_src_md), 0);
            bwdWDiffDst = MapStage.into(dstMd, diffDst, Dnnl.query(bwdWeightsPd, dnnl_query_diff_dst_md), 1);

            fwd = Dnnl.Call.of(fwdPd).arg(DNNL_ARG_SRC, MapStage.memory(fwdSrc, src))
                    .arg(DNNL_ARG_WEIGHTS, fwdWeights == null ? weights : fwdWeights.memory)
                    .arg(DNNL_ARG_BIAS, bias).arg(DNNL_ARG_DST, MapStage.memory(fwdDst, dst)).build();
            bwdData = Dnnl.Call.of(bwdDataPd).arg(DNNL_ARG_DIFF_DST, MapStage.memory(bwdDiffDst, diffDst))
                    .arg(DNNL_ARG_WEIGHTS, bwdWeights == null ? weights : bwdWeights.memory)
                    .arg(DNNL_ARG_DIFF_SRC, MapStage.memory(bwdDiffSrc, diffSrc)).build();
            bwdWeightsCall = Dnnl.Call.of(bwdWeightsPd).arg(DNNL_ARG_SRC, MapStage.memory(bwdWSrc, src))
                    .arg(DNNL_ARG_DIFF_DST, MapStage.memory(bwdWDiffDst, diffDst))
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
            MapStage.in(fwdSrc, stream);
            MapStage.bindOut(fwdDst);
            fwd.run(stream, "running a forward convolution");
            MapStage.out(fwdDst, stream);
            wait("running a forward convolution");
        }

        void backwardData(INDArray dy, INDArray w, INDArray dx) {
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(weights, w);
            Dnnl.bind(diffSrc, dx);
            if (bwdWeights != null) {
                bwdWeights.reorder.run(stream, "reordering convolution weights");
            }
            MapStage.in(bwdDiffDst, stream);
            MapStage.bindOut(bwdDiffSrc);
            bwdData.run(stream, "running a convolution's input gradient");
            MapStage.out(bwdDiffSrc, stream);
            wait("running a convolution's input gradient");
        }

        void backwardWeights(INDArray x, INDArray dy, INDArray dw, INDArray db) {
            Dnnl.bind(src, x);
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(diffWeights, dw);
            if (diffBias != null) {
                Dnnl.bind(diffBias, db);
            }
            MapStage.in(bwdWSrc, stream);
            MapStage.in(bwdWDiffDst, stream);
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

    /**
     * A map staged in a kernel's own (blocked) layout: the reorder between the layer's array and a per-thread staging
     * buffer, which is bound to the kernel-side memory object on each call.
     */
    private static final class MapStage {
        final dnnl_memory memory;
        final Dnnl.Call reorder;
        final int slot;
        final long bytes;

        private MapStage(dnnl_memory_desc_t kernelMd, dnnl_memory_desc_t userMd, dnnl_memory user, boolean in,
                         int slot) {
            this.memory = Dnnl.unbound(kernelMd);
            this.reorder = in ? Dnnl.reorder(userMd, user, kernelMd, memory)
                    : Dnnl.reorder(kernelMd, memory, userMd, user);
            this.slot = slot;
            this.bytes = dnnl_memory_desc_get_size(kernelMd);
        }

        static MapStage into(dnnl_memory_desc_t userMd, dnnl_memory user, dnnl_memory_desc_t kernelMd, int slot) {
            return Dnnl.same(userMd, kernelMd) ? null : new MapStage(kernelMd, userMd, user, true, slot);
        }

        static MapStage outOf(dnnl_memory_desc_t kernelMd, dnnl_memory_desc_t userMd, dnnl_memory user, int slot) {
            return Dnnl.same(userMd, kernelMd) ? null : new MapStage(kernelMd, userMd, user, false, slot);
        }

        static dnnl_memory memory(MapStage s, dnnl_memory user) {
            return s == null ? user : s.memory;
        }

        private void bind() {
            BytePointer[] buffers = STAGING.get();
            BytePointer b = buffers[slot];
            if (b == null || b.capacity() < bytes) {
                if (b != null) {
                    b.deallocate();
                }
                b = new BytePointer(bytes);
                if (b.isNull()) {
                    throw new OutOfMemoryError("cannot allocate " + bytes + " bytes to stage a convolution's map");
                }
                buffers[slot] = b;
            }
            Dnnl.check(dnnl_memory_set_data_handle(memory, b), "binding a staging buffer");
        }

        /** Reorders the layer's map into the kernel's layout (nothing when {@code s} is null). */
        static void in(MapStage s, dnnl_stream stream) {
            if (s != null) {
                s.bind();
                s.reorder.run(stream, "reordering a map into a convolution's layout");
            }
        }

        static void bindOut(MapStage s) {
            if (s != null) {
                s.bind();
            }
        }

        /** Reorders the kernel's output back into the layer's array. */
        static void out(MapStage s, dnnl_stream stream) {
            if (s != null) {
                s.reorder.run(stream, "reordering a convolution's output into the layer's layout");
            }
        }
    }
}
