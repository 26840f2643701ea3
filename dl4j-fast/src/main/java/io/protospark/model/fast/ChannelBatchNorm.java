package io.protospark.model.fast;

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
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The batch-norm path for what {@link DnnlBatchNorm} does not run on oneDNN: double-precision maps (gradient checks)
 * and float maps when the oneDNN presets do not load (another backend or platform).
 *
 * <p>Batch normalisation of feature maps (NCHW or NHWC) computed on the layer's own buffers in two memory passes forward
 * and two backward. Forward: one pass for the batch statistics, one writing y = a·x + b. Backward: one pass for Σ dy
 * and Σ dy·(x − μ), one writing dx = γσ⁻¹·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), the full gradient through the batch
 * statistics. The variance never takes the cancelling E[x²] − E[x]² form: NCHW rows (one example's channel) each give
 * a mean and centred sum of squares, merged with Chan et al.'s pairwise update in double precision; NHWC sums are
 * shifted by a sample of each channel (see {@link ChannelsLastMaps}).
 *
 * <p>DL4J's native batch-norm path computes the same thing in about twenty separate array ops (a Welford variance
 * reduction, broadcasts, and libnd4j's correction of oneDNN's global-statistics backward pass); on a CIFAR ResNet-20
 * those took about a third of a training step. Here the work is split over the threads ND4J would use on the calling
 * thread (its OpenMP setting, which {@code train.threads-per-worker} controls), so a worker never uses more cores
 * than it was given.
 *
 * <p>Only training passes over 4-d maps in float or double take this path. Inference (one native op on the running
 * statistics) and anything else (the 2-d batch norm after a dense layer, other data types) go to {@code fallback},
 * which keeps its own statistics: {@link #getMeanCache} and {@link #getVarCache} answer for whichever path ran the
 * last forward pass.
 */
final class ChannelBatchNorm implements BatchNormalizationHelper {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "protospark-batchnorm");
        t.setDaemon(true);
        return t;
    });

    private final BatchNormalizationHelper fallback;
    /** Whether the last forward pass ran here (else in {@link #fallback}). */
    private boolean own;
    /** Batch mean and biased variance of the last training forward pass, as DL4J's layer reads them. */
    private INDArray meanCache;
    private INDArray varCache;
    /** The same statistics in double, and 1/√(var + ε), for the backward pass. */
    private double[] mean;
    private double[] invStd;

    ChannelBatchNorm(BatchNormalizationHelper fallback) {
        this.fallback = fallback;
    }

    /**
     * Answered here for both paths: the fallback's own check asks the native environment through DL4J's broken
     * probe (see {@link NativeHelpers}), while the libnd4j ops support every case except locked γ/β, which
     * {@link FastLayers} never converts.
     */
    @Override
    public boolean checkSupported(double eps, boolean fixedGammaBeta) {
        return !fixedGammaBeta;
    }

    @Override
    public boolean checkSupported() {
        return true;
    }

    static boolean handles(INDArray x) {
        return x.rank() == 4 && x.length() <= Integer.MAX_VALUE / 8
                && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE);
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                              INDArray globalMean, INDArray globalVar, double decay, double eps, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        // inference is one native op on the running statistics (oneDNN's), faster than a pass here
        own = training && handles(x) && gamma != null && beta != null;
        if (!own) {
            return fallback.preOutput(x, training, shape, gamma, beta, globalMean, globalVar, decay, eps, format,
                    workspaceMgr);
        }
        Layout in = layout(contiguous(x), format);
        double[][] stats = in.statistics();
        double[] m = stats[0];
        double[] v = stats[1];
        storeCaches(m, v, x.dataType());
        double[] g = toDoubles(gamma, in.channels());
        double[] b = toDoubles(beta, in.channels());
        int channels = in.channels();
        double[] scale = new double[channels];
        double[] shift = new double[channels];
        double[] inv = new double[channels];
        for (int c = 0; c < channels; c++) {
            inv[c] = 1.0 / Math.sqrt(v[c] + eps);
            scale[c] = g[c] * inv[c];
            shift[c] = b[c] - m[c] * scale[c];
        }
        mean = m;
        invStd = inv;
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        in.affine(scale, shift, layout(out, format));
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
                                                     INDArray beta, INDArray dGammaView, INDArray dBetaView,
                                                     double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!own || mean == null || !handles(input)) {
            return fallback.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView, dBetaView, eps, format,
                    workspaceMgr);
        }
        if (!java.util.Arrays.equals(epsilon.shape(), input.shape())) {
            throw new IllegalArgumentException("batch norm backward: gradient shape "
                    + java.util.Arrays.toString(epsilon.shape()) + " differs from input "
                    + java.util.Arrays.toString(input.shape()));
        }
        Layout x = layout(contiguous(input), format);
        // the kernels take arrays of one element type: the gradient in the input's
        Layout dy = layout(contiguous(epsilon.castTo(input.dataType())), format);
        int channels = x.channels();
        double[][] sums = x.gradientSums(dy, mean);
        double[] sumDy = sums[0];
        double[] sumDyXhat = new double[channels];
        double[] g = toDoubles(gamma, channels);
        double count = x.count();
        double[] a = new double[channels];
        double[] b = new double[channels];
        double[] k = new double[channels];
        for (int c = 0; c < channels; c++) {
            double s = invStd[c];
            sumDyXhat[c] = sums[1][c] * s;
            a[c] = g[c] * s;
            b[c] = -g[c] * s * s * sumDyXhat[c] / count;
            k[c] = -g[c] * s * sumDy[c] / count;
        }
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(),
                'c');
        x.inputGradient(dy, mean, a, b, k, layout(dx, format));
        for (int c = 0; c < channels; c++) {
            dGammaView.putScalar(c, sumDyXhat[c]);
            dBetaView.putScalar(c, sumDy[c]);
        }
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        return new Pair<>(gradient, dx);
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        return own ? meanCache : fallback.getMeanCache(dataType);
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        return own ? varCache : fallback.getVarCache(dataType);
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return fallback.helperMemoryUse();
    }

    private void storeCaches(double[] m, double[] v, DataType type) {
        if (meanCache == null || meanCache.dataType() != type || meanCache.length() != m.length) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                meanCache = Nd4j.createUninitialized(type, m.length);
                varCache = Nd4j.createUninitialized(type, m.length);
            }
        }
        for (int c = 0; c < m.length; c++) {
            meanCache.putScalar(c, m[c]);
            varCache.putScalar(c, v[c]);
        }
    }

    private static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && Shape.hasDefaultStridesForShape(a) && !a.isView()
                ? a : a.dup('c');
    }

    private static double[] toDoubles(INDArray a, int n) {
        if (a.length() != n) {
            throw new IllegalArgumentException("batch norm: expected " + n + " per-channel values, got shape "
                    + java.util.Arrays.toString(a.shape()));
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = a.getDouble(i);
        }
        return out;
    }

    /** Threads for the calling thread: ND4J's OpenMP setting there, at most one per channel. */
    private static int threads(int channels) {
        int omp;
        try {
            omp = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        } catch (RuntimeException | LinkageError e) {
            omp = 1;
        }
        return Math.max(1, Math.min(omp, channels));
    }

    /** Runs {@code body(from, to)} over channel ranges, one per thread, the first on the calling thread. */
    private static void parallel(int channels, ChannelRange body) {
        parallel(channels, body, threads(channels));
    }

    /** Runs {@code body(from, to)} over [0, n) in {@code p} ranges, the first on the calling thread. */
    private static void parallel(int n, ChannelRange body, int p) {
        if (p == 1) {
            body.run(0, n);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(p - 1);
        for (int t = 1; t < p; t++) {
            int from = (int) ((long) n * t / p);
            int to = (int) ((long) n * (t + 1) / p);
            futures.add(POOL.submit(() -> body.run(from, to)));
        }
        body.run(0, n / p);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in batch norm", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }
    }

    /** Mean and centred sum of squares of a channel, merged row by row (Chan, Golub and LeVeque's pairwise update). */
    private static final class Moments {
        double mean;
        double squares;
        long count;

        void add(double rowMean, double rowSquares, int n) {
            long total = count + n;
            double delta = rowMean - mean;
            mean += delta * n / total;
            squares += rowSquares + delta * delta * ((double) count * n / total);
            count = total;
        }

        /** The biased variance. */
        double variance() {
            return squares / count;
        }
    }

    @FunctionalInterface
    private interface ChannelRange {
        void run(int from, int to);
    }

    /** The off-heap memory of a contiguous array with offset 0, in native byte order. */
    private static java.nio.ByteBuffer memory(INDArray a) {
        return a.data().asNio().order(ByteOrder.nativeOrder());
    }

    private static Layout layout(INDArray a, CNN2DFormat format) {
        return format == CNN2DFormat.NHWC ? ChannelsLastMaps.of(a) : Maps.of(a);
    }

    /** The four kernels over one array's memory; the other arrays they take have the same layout and shape. */
    private interface Layout {
        int channels();

        /** Values per channel. */
        long count();

        /** Per-channel batch mean and biased variance. */
        double[][] statistics();

        /** out = scale[c]·x + shift[c]. */
        void affine(double[] scale, double[] shift, Layout out);

        /** Per channel: Σ dy and Σ dy·(x − mean), this array being x. */
        double[][] gradientSums(Layout dy, double[] mean);

        /** dx = a[c]·dy + b[c]·(x − mean[c]) + k[c], this array being x. */
        void inputGradient(Layout dy, double[] mean, double[] a, double[] b, double[] k, Layout dx);
    }

    /**
     * An NCHW array's memory as N·C rows of H·W values (row (n, c) starts at (n·C + c)·H·W), read and written a row
     * at a time; {@link Floats} and {@link Doubles} hold the kernels for each element type.
     */
    private abstract static class Maps implements Layout {
        final int examples;
        final int channels;
        final int rowLength;

        Maps(INDArray a) {
            examples = (int) a.size(0);
            channels = (int) a.size(1);
            rowLength = (int) (a.size(2) * a.size(3));
        }

        static Maps of(INDArray a) {
            return a.dataType() == DataType.FLOAT ? new Floats(a) : new Doubles(a);
        }

        @Override
        public int channels() {
            return channels;
        }

        @Override
        public long count() {
            return (long) examples * rowLength;
        }
    }

    /**
     * An NHWC array's memory as N·H·W rows of C channels, read and written a block of whole rows at a time; the inner
     * loops run over the channels. Rows are split over the threads, each keeping per-channel partial sums (double)
     * that are added at the end. The variance is computed from sums shifted by the first row's values (a sample of
     * each channel), which keeps E[(x − s)²] − E[x − s]² free of the cancellation of the unshifted form.
     */
    private abstract static class ChannelsLastMaps implements Layout {
        private static final int BLOCK = 4096;
        final int channels;
        final long rows;
        final int rowsPerBlock;

        ChannelsLastMaps(INDArray a) {
            channels = (int) a.size(3);
            rows = a.length() / channels;
            rowsPerBlock = Math.max(1, BLOCK / channels);
        }

        static ChannelsLastMaps of(INDArray a) {
            return a.dataType() == DataType.FLOAT ? new LastFloats(a, memory(a).asFloatBuffer())
                    : new LastDoubles(a, memory(a).asDoubleBuffer());
        }

        @Override
        public int channels() {
            return channels;
        }

        @Override
        public long count() {
            return rows;
        }

        /** Runs {@code body(firstRow, endRow, partial)} over row ranges, one per thread, and adds the partials. */
        double[][] rowsParallel(int width, RowRange body) {
            int p = (int) Math.max(1, Math.min(threads(Integer.MAX_VALUE), rows / rowsPerBlock));
            double[][][] partials = new double[p][width][channels];
            parallel(p, (from, to) -> {
                for (int t = from; t < to; t++) {
                    body.run(rows * t / p, rows * (t + 1) / p, partials[t]);
                }
            }, p);
            double[][] sum = new double[width][channels];
            for (double[][] part : partials) {
                for (int w = 0; w < width; w++) {
                    for (int c = 0; c < channels; c++) {
                        sum[w][c] += part[w][c];
                    }
                }
            }
            return sum;
        }

        /** Mean and biased variance from Σ(x − shift) and Σ(x − shift)² per channel. */
        double[][] moments(double[] shift, double[][] sums) {
            double[] mean = new double[channels];
            double[] var = new double[channels];
            for (int c = 0; c < channels; c++) {
                double m1 = sums[0][c] / rows;
                mean[c] = shift[c] + m1;
                var[c] = Math.max(0, sums[1][c] / rows - m1 * m1);
            }
            return new double[][]{mean, var};
        }

        /** b·(x − μ) + k = b·x + (k − b·μ): the constant term of the input gradient. */
        static double[] offset(double[] mean, double[] b, double[] k) {
            double[] k2 = new double[k.length];
            for (int c = 0; c < k.length; c++) {
                k2[c] = k[c] - b[c] * mean[c];
            }
            return k2;
        }
    }

    /** Float NHWC maps: blocks of float rows, per-channel sums in double. */
    private static final class LastFloats extends ChannelsLastMaps {
        private final FloatBuffer buffer;

        LastFloats(INDArray a, FloatBuffer buffer) {
            super(a);
            this.buffer = buffer;
        }

        private void read(long row, int n, float[] dst) {
            buffer.get((int) (row * channels), dst, 0, n * channels);
        }

        private void write(long row, int n, float[] src) {
            buffer.put((int) (row * channels), src, 0, n * channels);
        }

        @Override
        public double[][] statistics() {
            float[] first = new float[channels];
            read(0, 1, first);
            double[] shift = new double[channels];
            for (int c = 0; c < channels; c++) {
                shift[c] = first[c];
            }
            return moments(shift, rowsParallel(2, (start, end, part) -> {
                float[] block = new float[rowsPerBlock * channels];
                double[] s1 = part[0];
                double[] s2 = part[1];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, block);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            double d = block[o + c] - shift[c];
                            s1[c] += d;
                            s2[c] += d * d;
                        }
                    }
                }
            }));
        }

        @Override
        public void affine(double[] scale, double[] shift, Layout layout) {
            LastFloats out = (LastFloats) layout;
            float[] fa = toFloats(scale);
            float[] fb = toFloats(shift);
            rowsParallel(1, (start, end, part) -> {
                float[] block = new float[rowsPerBlock * channels];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, block);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            block[o + c] = fa[c] * block[o + c] + fb[c];
                        }
                    }
                    out.write(r, n, block);
                }
            });
        }

        @Override
        public double[][] gradientSums(Layout layout, double[] mean) {
            LastFloats dy = (LastFloats) layout;
            float[] fm = toFloats(mean);
            return rowsParallel(2, (start, end, part) -> {
                float[] xb = new float[rowsPerBlock * channels];
                float[] gb = new float[xb.length];
                double[] s = part[0];
                double[] sx = part[1];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, xb);
                    dy.read(r, n, gb);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            float g = gb[o + c];
                            s[c] += g;
                            sx[c] += g * (xb[o + c] - fm[c]);
                        }
                    }
                }
            });
        }

        @Override
        public void inputGradient(Layout dyLayout, double[] mean, double[] a, double[] b, double[] k,
                                  Layout dxLayout) {
            LastFloats dy = (LastFloats) dyLayout;
            LastFloats dx = (LastFloats) dxLayout;
            float[] fa = toFloats(a);
            float[] fb = toFloats(b);
            float[] fk = toFloats(offset(mean, b, k));
            rowsParallel(1, (start, end, part) -> {
                float[] xb = new float[rowsPerBlock * channels];
                float[] gb = new float[xb.length];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, xb);
                    dy.read(r, n, gb);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            gb[o + c] = fa[c] * gb[o + c] + fb[c] * xb[o + c] + fk[c];
                        }
                    }
                    dx.write(r, n, gb);
                }
            });
        }

        private static float[] toFloats(double[] v) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = (float) v[i];
            }
            return f;
        }
    }

    /** Double NHWC maps (what the gradient checks run): blocks of double rows. */
    private static final class LastDoubles extends ChannelsLastMaps {
        private final DoubleBuffer buffer;

        LastDoubles(INDArray a, DoubleBuffer buffer) {
            super(a);
            this.buffer = buffer;
        }

        private void read(long row, int n, double[] dst) {
            buffer.get((int) (row * channels), dst, 0, n * channels);
        }

        private void write(long row, int n, double[] src) {
            buffer.put((int) (row * channels), src, 0, n * channels);
        }

        @Override
        public double[][] statistics() {
            double[] shift = new double[channels];
            read(0, 1, shift);
            return moments(shift, rowsParallel(2, (start, end, part) -> {
                double[] block = new double[rowsPerBlock * channels];
                double[] s1 = part[0];
                double[] s2 = part[1];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, block);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            double d = block[o + c] - shift[c];
                            s1[c] += d;
                            s2[c] += d * d;
                        }
                    }
                }
            }));
        }

        @Override
        public void affine(double[] scale, double[] shift, Layout layout) {
            LastDoubles out = (LastDoubles) layout;
            rowsParallel(1, (start, end, part) -> {
                double[] block = new double[rowsPerBlock * channels];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, block);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            block[o + c] = scale[c] * block[o + c] + shift[c];
                        }
                    }
                    out.write(r, n, block);
                }
            });
        }

        @Override
        public double[][] gradientSums(Layout layout, double[] mean) {
            LastDoubles dy = (LastDoubles) layout;
            return rowsParallel(2, (start, end, part) -> {
                double[] xb = new double[rowsPerBlock * channels];
                double[] gb = new double[xb.length];
                double[] s = part[0];
                double[] sx = part[1];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, xb);
                    dy.read(r, n, gb);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            double g = gb[o + c];
                            s[c] += g;
                            sx[c] += g * (xb[o + c] - mean[c]);
                        }
                    }
                }
            });
        }

        @Override
        public void inputGradient(Layout dyLayout, double[] mean, double[] a, double[] b, double[] k,
                                  Layout dxLayout) {
            LastDoubles dy = (LastDoubles) dyLayout;
            LastDoubles dx = (LastDoubles) dxLayout;
            double[] k2 = offset(mean, b, k);
            rowsParallel(1, (start, end, part) -> {
                double[] xb = new double[rowsPerBlock * channels];
                double[] gb = new double[xb.length];
                for (long r = start; r < end; r += rowsPerBlock) {
                    int n = (int) Math.min(rowsPerBlock, end - r);
                    read(r, n, xb);
                    dy.read(r, n, gb);
                    for (int i = 0; i < n; i++) {
                        int o = i * channels;
                        for (int c = 0; c < channels; c++) {
                            gb[o + c] = a[c] * gb[o + c] + b[c] * xb[o + c] + k2[c];
                        }
                    }
                    dx.write(r, n, gb);
                }
            });
        }
    }

    @FunctionalInterface
    private interface RowRange {
        void run(long firstRow, long endRow, double[][] partial);
    }

    /**
     * Float maps: the four kernels over float rows, with row sums in four float partial sums and rows merged in
     * double.
     */
    private static final class Floats extends Maps {
        private final FloatBuffer buffer;

        Floats(INDArray a) {
            super(a);
            buffer = memory(a).asFloatBuffer();
        }

        private void read(int row, float[] dst) {
            buffer.get((int) ((long) row * rowLength), dst, 0, rowLength);
        }

        private void write(int row, float[] src) {
            buffer.put((int) ((long) row * rowLength), src, 0, rowLength);
        }

        /** Σ v[0, n), in four independent float partial sums (registers, not memory, so the loop pipelines). */
        private static double sum(float[] v, int n) {
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                a0 += v[i];
                a1 += v[i + 1];
                a2 += v[i + 2];
                a3 += v[i + 3];
            }
            double s = (double) a0 + a1 + a2 + a3;
            for (; i < n; i++) {
                s += v[i];
            }
            return s;
        }

        /** Σ (v − c)² over [0, n). */
        private static double centredSquares(float[] v, int n, float c) {
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                float d0 = v[i] - c;
                float d1 = v[i + 1] - c;
                float d2 = v[i + 2] - c;
                float d3 = v[i + 3] - c;
                a0 += d0 * d0;
                a1 += d1 * d1;
                a2 += d2 * d2;
                a3 += d3 * d3;
            }
            double s = (double) a0 + a1 + a2 + a3;
            for (; i < n; i++) {
                double d = v[i] - c;
                s += d * d;
            }
            return s;
        }

        /** Σ g·(x − c) over [0, n). */
        private static double centredDot(float[] g, float[] x, int n, float c) {
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                a0 += g[i] * (x[i] - c);
                a1 += g[i + 1] * (x[i + 1] - c);
                a2 += g[i + 2] * (x[i + 2] - c);
                a3 += g[i + 3] * (x[i + 3] - c);
            }
            double s = (double) a0 + a1 + a2 + a3;
            for (; i < n; i++) {
                s += (double) g[i] * (x[i] - c);
            }
            return s;
        }

        @Override
        public double[][] statistics() {
            double[] m = new double[channels];
            double[] v = new double[channels];
            parallel(channels, (from, to) -> {
                float[] row = new float[rowLength];
                for (int c = from; c < to; c++) {
                    Moments moments = new Moments();
                    for (int n = 0; n < examples; n++) {
                        read(n * channels + c, row);
                        double rowMean = sum(row, rowLength) / rowLength;
                        double q = centredSquares(row, rowLength, (float) rowMean);
                        moments.add(rowMean, q, rowLength);
                    }
                    m[c] = moments.mean;
                    v[c] = moments.variance();
                }
            });
            return new double[][]{m, v};
        }

        @Override
        public void affine(double[] scale, double[] shift, Layout out) {
            Floats o = (Floats) out;
            parallel(channels, (from, to) -> {
                float[] row = new float[rowLength];
                for (int c = from; c < to; c++) {
                    float a = (float) scale[c];
                    float b = (float) shift[c];
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, row);
                        for (int i = 0; i < rowLength; i++) {
                            row[i] = a * row[i] + b;
                        }
                        o.write(r, row);
                    }
                }
            });
        }

        @Override
        public double[][] gradientSums(Layout dy, double[] mean) {
            Floats g = (Floats) dy;
            double[] sumDy = new double[channels];
            double[] sumDyX = new double[channels];
            parallel(channels, (from, to) -> {
                float[] xr = new float[rowLength];
                float[] gr = new float[rowLength];
                for (int c = from; c < to; c++) {
                    float mu = (float) mean[c];
                    double s = 0;
                    double sx = 0;
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, xr);
                        g.read(r, gr);
                        s += sum(gr, rowLength);
                        sx += centredDot(gr, xr, rowLength, mu);
                    }
                    sumDy[c] = s;
                    sumDyX[c] = sx;
                }
            });
            return new double[][]{sumDy, sumDyX};
        }

        @Override
        public void inputGradient(Layout dy, double[] mean, double[] a, double[] b, double[] k, Layout dx) {
            Floats g = (Floats) dy;
            Floats o = (Floats) dx;
            parallel(channels, (from, to) -> {
                float[] xr = new float[rowLength];
                float[] gr = new float[rowLength];
                for (int c = from; c < to; c++) {
                    float ac = (float) a[c];
                    float bc = (float) b[c];
                    // b·(x − μ) + k = b·x + (k − b·μ)
                    float kc = (float) (k[c] - b[c] * mean[c]);
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, xr);
                        g.read(r, gr);
                        for (int i = 0; i < rowLength; i++) {
                            gr[i] = ac * gr[i] + bc * xr[i] + kc;
                        }
                        o.write(r, gr);
                    }
                }
            });
        }
    }

    /** Double maps (what the gradient checks run): the four kernels over double rows. */
    private static final class Doubles extends Maps {
        private final DoubleBuffer buffer;

        Doubles(INDArray a) {
            super(a);
            buffer = memory(a).asDoubleBuffer();
        }

        private void read(int row, double[] dst) {
            buffer.get((int) ((long) row * rowLength), dst, 0, rowLength);
        }

        private void write(int row, double[] src) {
            buffer.put((int) ((long) row * rowLength), src, 0, rowLength);
        }

        @Override
        public double[][] statistics() {
            double[] m = new double[channels];
            double[] v = new double[channels];
            parallel(channels, (from, to) -> {
                double[] row = new double[rowLength];
                for (int c = from; c < to; c++) {
                    Moments moments = new Moments();
                    for (int n = 0; n < examples; n++) {
                        read(n * channels + c, row);
                        double s = 0;
                        for (int i = 0; i < rowLength; i++) {
                            s += row[i];
                        }
                        double rowMean = s / rowLength;
                        double q = 0;
                        for (int i = 0; i < rowLength; i++) {
                            double d = row[i] - rowMean;
                            q += d * d;
                        }
                        moments.add(rowMean, q, rowLength);
                    }
                    m[c] = moments.mean;
                    v[c] = moments.variance();
                }
            });
            return new double[][]{m, v};
        }

        @Override
        public void affine(double[] scale, double[] shift, Layout layout) {
            Doubles out = (Doubles) layout;
            parallel(channels, (from, to) -> {
                double[] row = new double[rowLength];
                for (int c = from; c < to; c++) {
                    double a = scale[c];
                    double b = shift[c];
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, row);
                        for (int i = 0; i < rowLength; i++) {
                            row[i] = a * row[i] + b;
                        }
                        out.write(r, row);
                    }
                }
            });
        }

        @Override
        public double[][] gradientSums(Layout layout, double[] mean) {
            Doubles dy = (Doubles) layout;
            double[] sumDy = new double[channels];
            double[] sumDyX = new double[channels];
            parallel(channels, (from, to) -> {
                double[] xr = new double[rowLength];
                double[] gr = new double[rowLength];
                for (int c = from; c < to; c++) {
                    double mu = mean[c];
                    double s = 0;
                    double sx = 0;
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, xr);
                        dy.read(r, gr);
                        for (int i = 0; i < rowLength; i++) {
                            s += gr[i];
                            sx += gr[i] * (xr[i] - mu);
                        }
                    }
                    sumDy[c] = s;
                    sumDyX[c] = sx;
                }
            });
            return new double[][]{sumDy, sumDyX};
        }

        @Override
        public void inputGradient(Layout dyLayout, double[] mean, double[] a, double[] b, double[] k,
                                  Layout dxLayout) {
            Doubles dy = (Doubles) dyLayout;
            Doubles dx = (Doubles) dxLayout;
            parallel(channels, (from, to) -> {
                double[] xr = new double[rowLength];
                double[] gr = new double[rowLength];
                for (int c = from; c < to; c++) {
                    double mu = mean[c];
                    double ac = a[c];
                    double bc = b[c];
                    double kc = k[c];
                    for (int n = 0; n < examples; n++) {
                        int r = n * channels + c;
                        read(r, xr);
                        dy.read(r, gr);
                        for (int i = 0; i < rowLength; i++) {
                            gr[i] = ac * gr[i] + bc * (xr[i] - mu) + kc;
                        }
                        dx.write(r, gr);
                    }
                }
            });
        }

    }
}
