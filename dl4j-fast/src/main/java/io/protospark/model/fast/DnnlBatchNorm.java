package io.protospark.model.fast;

import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * Batch normalisation of float feature maps (NCHW or NHWC) on oneDNN's batch-norm kernels, called directly: training
 * forward (batch statistics, then y = γ·x̂ + β), the full backward pass through the batch statistics, and inference on
 * the running statistics, each one primitive working on the layer's own arrays.
 *
 * <p>With {@code relu} the layer's output is max(y, 0): oneDNN applies the ReLU inside the normalisation pass and
 * keeps a one-bit-per-value mask for the backward pass, so a batch norm followed by a ReLU costs one pass over the maps
 * instead of three each way (see {@link FastLayers#convert}, which fuses the pair). The ReLU is part of this helper's
 * result on every path, including the fallback's.
 *
 * <p>Everything oneDNN does not take here (double precision, as in gradient checks; other ranks; a non-CPU backend)
 * runs on {@code fallback}, with the ReLU applied after it and its derivative applied to the gradient before it.
 */
final class DnnlBatchNorm implements BatchNormalizationHelper {
    /** Everything a primitive depends on. */
    record Geometry(long batch, long channels, long height, long width, boolean channelsLast, float eps,
                    boolean relu) {
    }

    private static final Dnnl.Pool<Geometry, Plan> POOL = new Dnnl.Pool<>(Plan::new);

    private final BatchNormalizationHelper fallback;
    private final boolean relu;
    /** Whether the last forward pass ran on oneDNN (else in {@link #fallback}). */
    private boolean own;
    /** Batch mean and biased variance of the last training forward pass, written by oneDNN (float, [C]). */
    private INDArray meanCache;
    private INDArray varCache;
    /** The ReLU mask of the last fused training forward pass (oneDNN's workspace). */
    private BytePointer reluMask;
    /** The fallback's last training output, after the ReLU, whose sign gives the ReLU's derivative. */
    private INDArray fallbackOutput;
    private long oneDnnForward;
    private long oneDnnBackward;

    DnnlBatchNorm(BatchNormalizationHelper fallback, boolean relu) {
        this.fallback = fallback;
        this.relu = relu;
    }

    boolean fusesRelu() {
        return relu;
    }

    /** Whether the last forward pass ran on oneDNN (its batch statistics are then {@link #batchMean()} …). */
    boolean ranLastForward() {
        return own;
    }

    /** The last oneDNN training pass's batch mean (float, [C]); valid while {@link #ranLastForward()}. */
    INDArray batchMean() {
        return meanCache;
    }

    /** The last oneDNN training pass's biased batch variance (float, [C]). */
    INDArray batchVariance() {
        return varCache;
    }

    long oneDnnForwardPasses() {
        return oneDnnForward;
    }

    long oneDnnBackwardPasses() {
        return oneDnnBackward;
    }

    @Override
    public boolean checkSupported(double eps, boolean fixedGammaBeta) {
        return fallback.checkSupported(eps, fixedGammaBeta);
    }

    @Override
    public boolean checkSupported() {
        return fallback.checkSupported();
    }

    private static boolean takes(INDArray... arrays) {
        if (Dnnl.engine() == null || arrays[0].rank() != 4) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT) {
                return false;
            }
        }
        return true;
    }

    private static INDArray dense(INDArray a) {
        return Dnnl.dense(a) ? a : a.dup('c');
    }

    private Geometry geometry(INDArray x, double eps, CNN2DFormat format) {
        boolean last = format == CNN2DFormat.NHWC;
        long channels = x.size(last ? 3 : 1);
        long h = x.size(last ? 1 : 2);
        long w = x.size(last ? 2 : 3);
        return new Geometry(x.size(0), channels, h, w, last, (float) eps, relu);
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                              INDArray globalMean, INDArray globalVar, double decay, double eps, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        own = training ? takes(x, gamma, beta) : takes(x, gamma, beta, globalMean, globalVar);
        if (!own) {
            return fallbackForward(x, training, shape, gamma, beta, globalMean, globalVar, decay, eps, format,
                    workspaceMgr);
        }
        Geometry g = geometry(x, eps, format);
        INDArray in = dense(x);
        INDArray scale = dense(gamma);
        INDArray shift = dense(beta);
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, x.shape(), 'c');
        if (training) {
            ensureCaches(g.channels());
            POOL.run(g, p -> {
                reluMask = p.mask(reluMask);
                p.forwardTraining(in, scale, shift, y, meanCache, varCache, reluMask);
            });
        } else {
            INDArray mean = dense(globalMean);
            INDArray var = dense(globalVar);
            POOL.run(g, p -> p.forwardInference(in, scale, shift, mean, var, y));
        }
        oneDnnForward++;
        return y;
    }

    private INDArray fallbackForward(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                                     INDArray globalMean, INDArray globalVar, double decay, double eps,
                                     CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        INDArray y = fallback.preOutput(x, training, shape, gamma, beta, globalMean, globalVar, decay, eps, format,
                workspaceMgr);
        if (!relu) {
            return y;
        }
        if (y == x) {
            y = workspaceMgr.dup(ArrayType.ACTIVATIONS, x);
        }
        Nd4j.getExecutioner().exec(new RectifiedLinear(y, y, 0.0));
        fallbackOutput = training ? y : null;
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
                                                     INDArray beta, INDArray dGammaView, INDArray dBetaView,
                                                     double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!own) {
            INDArray dy = epsilon;
            if (relu) {
                if (fallbackOutput == null) {
                    throw new IllegalStateException("batch norm + ReLU: backward pass without a training forward pass");
                }
                dy = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(), epsilon.shape(),
                        'c');
                Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(fallbackOutput, epsilon, dy, 0.0));
            }
            return fallback.backpropGradient(input, dy, shape, gamma, beta, dGammaView, dBetaView, eps, format,
                    workspaceMgr);
        }
        if (meanCache == null) {
            throw new IllegalStateException("batch norm: backward pass without a training forward pass");
        }
        if (!java.util.Arrays.equals(epsilon.shape(), input.shape())) {
            throw new IllegalArgumentException("batch norm backward: gradient shape "
                    + java.util.Arrays.toString(epsilon.shape()) + " differs from input "
                    + java.util.Arrays.toString(input.shape()));
        }
        Geometry g = geometry(input, eps, format);
        INDArray x = dense(input);
        INDArray dy = dense(epsilon.castTo(DataType.FLOAT));
        INDArray scale = dense(gamma);
        INDArray shift = dense(beta);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
        INDArray dGamma = Dnnl.dense(dGammaView) ? dGammaView : Nd4j.createUninitialized(DataType.FLOAT, g.channels());
        INDArray dBeta = Dnnl.dense(dBetaView) ? dBetaView : Nd4j.createUninitialized(DataType.FLOAT, g.channels());
        POOL.run(g, p -> p.backward(x, dy, scale, shift, meanCache, varCache, reluMask, dx, dGamma, dBeta));
        if (dGamma != dGammaView) {
            dGammaView.assign(dGamma.reshape(dGammaView.shape()));
        }
        if (dBeta != dBetaView) {
            dBetaView.assign(dBeta.reshape(dBetaView.shape()));
        }
        oneDnnBackward++;
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        return new Pair<>(gradient, dx);
    }

    private void ensureCaches(long channels) {
        if (meanCache == null || meanCache.length() != channels) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                meanCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
                varCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
            }
        }
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        return own ? meanCache.castTo(dataType) : fallback.getMeanCache(dataType);
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        return own ? varCache.castTo(dataType) : fallback.getVarCache(dataType);
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return fallback.helperMemoryUse();
    }

    /** Descriptors, primitives and a stream for one geometry; used by one thread at a time. */
    private static final class Plan {
        private final dnnl_stream stream = Dnnl.stream();
        private final long maskBytes;
        private final dnnl_memory src;
        private final dnnl_memory dst;
        private final dnnl_memory diffSrc;
        private final dnnl_memory diffDst;
        private final dnnl_memory scale;
        private final dnnl_memory shift;
        private final dnnl_memory mean;
        private final dnnl_memory variance;
        private final dnnl_memory diffScale;
        private final dnnl_memory diffShift;
        private final dnnl_memory mask;
        private final Dnnl.Call training;
        private final Dnnl.Call inference;
        private final Dnnl.Call backward;

        Plan(Geometry g) {
            int tag = g.channelsLast() ? dnnl_nhwc : dnnl_nchw;
            dnnl_memory_desc_t dataMd = Dnnl.desc(new long[] {g.batch(), g.channels(), g.height(), g.width()},
                    dnnl_f32, tag);
            dnnl_memory_desc_t channelMd = Dnnl.desc(new long[] {g.channels()}, dnnl_f32, dnnl_x);
            int flags = dnnl_use_scale | dnnl_use_shift | (g.relu() ? dnnl_fuse_norm_relu : 0);
            dnnl_primitive_attr attr = Dnnl.userScratchpad();

            dnnl_primitive_desc trainPd = describe(dnnl_forward_training, dataMd, g.eps(), flags, attr, null, g);
            dnnl_primitive_desc inferPd = describe(dnnl_forward_inference, dataMd, g.eps(),
                    flags | dnnl_use_global_stats, attr, null, g);
            dnnl_batch_normalization_desc_t bd = new dnnl_batch_normalization_desc_t();
            Dnnl.check(dnnl_batch_normalization_backward_desc_init(bd, dnnl_backward, dataMd, dataMd, g.eps(), flags),
                    "describing a batch norm's backward pass " + g);
            dnnl_primitive_desc backPd = Dnnl.choose(bd, attr, trainPd, "a batch norm's backward pass " + g);

            src = Dnnl.unbound(dataMd);
            dst = Dnnl.unbound(dataMd);
            diffSrc = Dnnl.unbound(dataMd);
            diffDst = Dnnl.unbound(dataMd);
            scale = Dnnl.unbound(channelMd);
            shift = Dnnl.unbound(channelMd);
            mean = Dnnl.unbound(channelMd);
            variance = Dnnl.unbound(channelMd);
            diffScale = Dnnl.unbound(channelMd);
            diffShift = Dnnl.unbound(channelMd);
            if (g.relu()) {
                dnnl_memory_desc_t maskMd = Dnnl.query(trainPd, dnnl_query_workspace_md);
                maskBytes = dnnl_memory_desc_get_size(maskMd);
                mask = Dnnl.unbound(maskMd);
            } else {
                maskBytes = 0;
                mask = null;
            }
            training = Dnnl.Call.of(trainPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_SCALE, scale)
                    .arg(DNNL_ARG_SHIFT, shift).arg(DNNL_ARG_DST, dst).arg(DNNL_ARG_MEAN, mean)
                    .arg(DNNL_ARG_VARIANCE, variance).arg(DNNL_ARG_WORKSPACE, mask).build();
            inference = Dnnl.Call.of(inferPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_SCALE, scale)
                    .arg(DNNL_ARG_SHIFT, shift).arg(DNNL_ARG_MEAN, mean).arg(DNNL_ARG_VARIANCE, variance)
                    .arg(DNNL_ARG_DST, dst).build();
            backward = Dnnl.Call.of(backPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_MEAN, mean)
                    .arg(DNNL_ARG_VARIANCE, variance).arg(DNNL_ARG_DIFF_DST, diffDst).arg(DNNL_ARG_SCALE, scale)
                    .arg(DNNL_ARG_SHIFT, shift).arg(DNNL_ARG_WORKSPACE, mask).arg(DNNL_ARG_DIFF_SRC, diffSrc)
                    .arg(DNNL_ARG_DIFF_SCALE, diffScale).arg(DNNL_ARG_DIFF_SHIFT, diffShift).build();
        }

        private static dnnl_primitive_desc describe(int kind, dnnl_memory_desc_t dataMd, float eps, int flags,
                                                    dnnl_primitive_attr attr, dnnl_primitive_desc hint, Geometry g) {
            dnnl_batch_normalization_desc_t d = new dnnl_batch_normalization_desc_t();
            Dnnl.check(dnnl_batch_normalization_forward_desc_init(d, kind, dataMd, eps, flags),
                    "describing a batch norm " + g);
            return Dnnl.choose(d, attr, hint, "a batch norm " + g);
        }

        /** A buffer for this geometry's ReLU mask: {@code current} when it is large enough (null without ReLU). */
        BytePointer mask(BytePointer current) {
            if (mask == null) {
                return current;
            }
            if (current != null && current.capacity() >= maskBytes) {
                return current;
            }
            BytePointer p = new BytePointer(Math.max(1, maskBytes));
            if (p.isNull()) {
                throw new OutOfMemoryError("cannot allocate " + maskBytes + " bytes for a batch norm's ReLU mask");
            }
            return p;
        }

        private void bindMask(Pointer buffer) {
            if (mask != null) {
                Dnnl.check(dnnl_memory_set_data_handle(mask, buffer), "binding a ReLU mask");
            }
        }

        void forwardTraining(INDArray x, INDArray gamma, INDArray beta, INDArray y, INDArray batchMean,
                             INDArray batchVar, BytePointer reluMask) {
            Dnnl.bind(src, x);
            Dnnl.bind(scale, gamma);
            Dnnl.bind(shift, beta);
            Dnnl.bind(dst, y);
            Dnnl.bind(mean, batchMean);
            Dnnl.bind(variance, batchVar);
            bindMask(reluMask);
            training.run(stream, "running a batch norm");
            Dnnl.check(dnnl_stream_wait(stream), "running a batch norm");
        }

        void forwardInference(INDArray x, INDArray gamma, INDArray beta, INDArray runningMean, INDArray runningVar,
                              INDArray y) {
            Dnnl.bind(src, x);
            Dnnl.bind(scale, gamma);
            Dnnl.bind(shift, beta);
            Dnnl.bind(mean, runningMean);
            Dnnl.bind(variance, runningVar);
            Dnnl.bind(dst, y);
            inference.run(stream, "running a batch norm for inference");
            Dnnl.check(dnnl_stream_wait(stream), "running a batch norm for inference");
        }

            void backward(INDArray x, INDArray dy, INDArray gamma, INDArray beta, INDArray batchMean, INDArray batchVar,
                      BytePointer reluMask, INDArray dx, INDArray dGamma, INDArray dBeta) {
            Dnnl.bind(src, x);
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(scale, gamma);
            Dnnl.bind(shift, beta);
            Dnnl.bind(mean, batchMean);
            Dnnl.bind(variance, batchVar);
            bindMask(reluMask);
            Dnnl.bind(diffSrc, dx);
            Dnnl.bind(diffScale, dGamma);
            Dnnl.bind(diffShift, dBeta);
            backward.run(stream, "running a batch norm's backward pass");
            Dnnl.check(dnnl_stream_wait(stream), "running a batch norm's backward pass");
        }
    }
}
