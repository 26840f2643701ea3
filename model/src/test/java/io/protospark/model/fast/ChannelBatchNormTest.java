package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ChannelBatchNorm} against a plain reference computed here from the batch-norm formulas, in double and in
 * float, on inputs with a large common offset (where E[x²] − E[x]² would lose the variance), in training and inference
 * mode, on a non-contiguous view, and the hand-off of other shapes to the fallback helper.
 */
class ChannelBatchNormTest {
    private static final double EPS = 1e-5;

    /** Per-channel reference: mean, biased variance, y, and the backward pass for upstream gradient dy. */
    private record Reference(double[] mean, double[] var, double[][][][] y, double[][][][] dx, double[] dGamma,
                             double[] dBeta) {
        static Reference of(double[][][][] x, double[][][][] dy, double[] gamma, double[] beta) {
            int n = x.length;
            int c = x[0].length;
            int h = x[0][0].length;
            int w = x[0][0][0].length;
            double count = (double) n * h * w;
            double[] mean = new double[c];
            double[] var = new double[c];
            double[] dGamma = new double[c];
            double[] dBeta = new double[c];
            double[][][][] y = new double[n][c][h][w];
            double[][][][] dx = new double[n][c][h][w];
            for (int k = 0; k < c; k++) {
                double s = 0;
                for (double[][][] e : x) {
                    for (double[] row : e[k]) {
                        for (double v : row) {
                            s += v;
                        }
                    }
                }
                mean[k] = s / count;
                double q = 0;
                for (double[][][] e : x) {
                    for (double[] row : e[k]) {
                        for (double v : row) {
                            q += (v - mean[k]) * (v - mean[k]);
                        }
                    }
                }
                var[k] = q / count;
                double inv = 1 / Math.sqrt(var[k] + EPS);
                double sumDy = 0;
                double sumDyXhat = 0;
                for (int e = 0; e < n; e++) {
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            double xhat = (x[e][k][i][j] - mean[k]) * inv;
                            y[e][k][i][j] = gamma[k] * xhat + beta[k];
                            sumDy += dy[e][k][i][j];
                            sumDyXhat += dy[e][k][i][j] * xhat;
                        }
                    }
                }
                dGamma[k] = sumDyXhat;
                dBeta[k] = sumDy;
                for (int e = 0; e < n; e++) {
                    for (int i = 0; i < h; i++) {
                        for (int j = 0; j < w; j++) {
                            double xhat = (x[e][k][i][j] - mean[k]) * inv;
                            dx[e][k][i][j] = gamma[k] * inv
                                    * (dy[e][k][i][j] - sumDy / count - xhat * sumDyXhat / count);
                        }
                    }
                }
            }
            return new Reference(mean, var, y, dx, dGamma, dBeta);
        }
    }

    /** A helper that must not be called. */
    private static final class Unused implements BatchNormalizationHelper {
        int calls;

        @Override
        public boolean checkSupported(double eps, boolean fixedGammaBeta) {
            return true;
        }

        @Override
        public boolean checkSupported() {
            return true;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape,
                                                         INDArray gamma, INDArray beta, INDArray dGammaView,
                                                         INDArray dBetaView, double eps, CNN2DFormat format,
                                                         LayerWorkspaceMgr workspaceMgr) {
            calls++;
            return null;
        }

        @Override
        public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                                  INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format,
                                  LayerWorkspaceMgr workspaceMgr) {
            calls++;
            return x;
        }

        @Override
        public INDArray getMeanCache(DataType dataType) {
            return null;
        }

        @Override
        public INDArray getVarCache(DataType dataType) {
            return null;
        }

        @Override
        public Map<String, Long> helperMemoryUse() {
            return Map.of();
        }
    }

    private static double[][][][] random(java.util.Random r, int n, int c, int h, int w, double offset) {
        double[][][][] a = new double[n][c][h][w];
        for (double[][][] e : a) {
            for (int k = 0; k < c; k++) {
                for (double[] row : e[k]) {
                    for (int j = 0; j < w; j++) {
                        row[j] = offset * (k + 1) + r.nextGaussian() * (0.5 + k);
                    }
                }
            }
        }
        return a;
    }

    private static void assertClose(double[][][][] expected, INDArray actual, double tol, String what) {
        for (int e = 0; e < expected.length; e++) {
            for (int k = 0; k < expected[0].length; k++) {
                for (int i = 0; i < expected[0][0].length; i++) {
                    for (int j = 0; j < expected[0][0][0].length; j++) {
                        double want = expected[e][k][i][j];
                        double got = actual.getDouble(e, k, i, j);
                        assertEquals(want, got, tol * Math.max(1, Math.abs(want)),
                                what + " at [" + e + "," + k + "," + i + "," + j + "]");
                    }
                }
            }
        }
    }

    private static void assertClose(double[] expected, INDArray actual, double tol, String what) {
        assertEquals(expected.length, actual.length(), what + " length");
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], actual.getDouble(k), tol * Math.max(1, Math.abs(expected[k])), what + "[" + k + "]");
        }
    }

    private static void trainingStepMatchesReference(DataType type, double offset, double tol) {
        trainingStepMatchesReference(type, offset, tol, CNN2DFormat.NCHW);
    }

    /** In NHWC the same maps are given channels-last and the results are compared after permuting back. */
    private static void trainingStepMatchesReference(DataType type, double offset, double tol, CNN2DFormat format) {
        java.util.Random r = new java.util.Random(11);
        int n = 5;
        int c = 3;
        int h = 4;
        int w = 6; // rows of 24: the unrolled loops' remainder path runs too
        double[][][][] x = random(r, n, c, h, w, offset);
        double[][][][] dy = random(r, n, c, h, w, 0.3);
        double[] gamma = {1.5, -0.7, 0.2};
        double[] beta = {0.1, 2.0, -1.0};
        Reference ref = Reference.of(x, dy, gamma, beta);

        Unused fallback = new Unused();
        ChannelBatchNorm bn = new ChannelBatchNorm(fallback);
        boolean nhwc = format == CNN2DFormat.NHWC;
        INDArray xs = nhwc ? Nd4j.create(x).castTo(type).permute(0, 2, 3, 1).dup('c') : Nd4j.create(x).castTo(type);
        INDArray dys = nhwc ? Nd4j.create(dy).castTo(type).permute(0, 2, 3, 1).dup('c') : Nd4j.create(dy).castTo(type);
        INDArray g = Nd4j.create(new double[][]{gamma}).castTo(type);
        INDArray b = Nd4j.create(new double[][]{beta}).castTo(type);
        INDArray globalMean = Nd4j.zeros(type, 1, c);
        INDArray globalVar = Nd4j.ones(type, 1, c);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

        INDArray y = bn.preOutput(xs, true, xs.shape(), g, b, globalMean, globalVar, 0.9, EPS, format, ws);
        assertClose(ref.y(), nhwc ? y.permute(0, 3, 1, 2) : y, tol, type + " " + format + " y");
        assertClose(ref.mean(), bn.getMeanCache(type), tol, type + " batch mean");
        assertClose(ref.var(), bn.getVarCache(type), tol * 10, type + " batch variance");

        INDArray dGamma = Nd4j.zeros(type, 1, c);
        INDArray dBeta = Nd4j.zeros(type, 1, c);
        Pair<Gradient, INDArray> back = bn.backpropGradient(xs, dys, xs.shape(), g, b, dGamma, dBeta, EPS, format, ws);
        assertClose(ref.dx(), nhwc ? back.getSecond().permute(0, 3, 1, 2) : back.getSecond(), tol * 10,
                type + " " + format + " dx");
        assertClose(ref.dGamma(), dGamma, tol * 10, type + " dGamma");
        assertClose(ref.dBeta(), dBeta, tol, type + " dBeta");
        assertSame(dGamma, back.getFirst().getGradientFor("gamma"));
        assertSame(dBeta, back.getFirst().getGradientFor("beta"));
        assertEquals(0, fallback.calls, format + " maps must not reach the fallback");
    }

    @Test
    void doubleTrainingStepMatchesTheFormulas() {
        trainingStepMatchesReference(DataType.DOUBLE, 0.0, 1e-12);
    }

    @Test
    void doubleVarianceSurvivesALargeOffset() {
        // mean 1e4·(k+1), std 0.5 + k: a one-pass E[x²] − E[x]² in double would keep only ~8 digits of the variance
        trainingStepMatchesReference(DataType.DOUBLE, 1e4, 1e-9);
    }

    @Test
    void floatTrainingStepMatchesTheFormulas() {
        trainingStepMatchesReference(DataType.FLOAT, 0.0, 2e-5);
    }

    @Test
    void floatVarianceSurvivesAnOffset() {
        // with mean 100·(k+1), an E[x²] − E[x]² in float would lose about three of the variance's digits
        trainingStepMatchesReference(DataType.FLOAT, 100.0, 2e-4);
    }

    @Test
    void channelsLastDoubleMatchesTheFormulas() {
        trainingStepMatchesReference(DataType.DOUBLE, 0.0, 1e-12, CNN2DFormat.NHWC);
        trainingStepMatchesReference(DataType.DOUBLE, 1e4, 1e-9, CNN2DFormat.NHWC);
    }

    @Test
    void channelsLastFloatMatchesTheFormulas() {
        trainingStepMatchesReference(DataType.FLOAT, 0.0, 2e-5, CNN2DFormat.NHWC);
        trainingStepMatchesReference(DataType.FLOAT, 100.0, 2e-4, CNN2DFormat.NHWC);
    }

    @Test
    void aNonContiguousInputIsNormalisedLikeItsCopy() {
        // an NHWC array permuted to NCHW: a view with non-default strides
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 2).permute(0, 3, 1, 2);
        INDArray gamma = Nd4j.create(new float[][]{{2f, 0.5f}});
        INDArray beta = Nd4j.create(new float[][]{{1f, -1f}});
        INDArray mean = Nd4j.zeros(DataType.FLOAT, 1, 2);
        INDArray var = Nd4j.ones(DataType.FLOAT, 1, 2);
        INDArray fromView = new ChannelBatchNorm(new Unused()).preOutput(x, true, x.shape(), gamma, beta, mean, var,
                0.9, EPS, CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces());
        INDArray fromCopy = new ChannelBatchNorm(new Unused()).preOutput(x.dup('c'), true, x.shape(), gamma, beta,
                mean, var, 0.9, EPS, CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces());
        assertEquals(fromCopy, fromView);
        assertEquals(2.0, fromView.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)).stdNumber().doubleValue() * Math.sqrt(23.0 / 24), 1e-3,
                "channel 0 has γ = 2 as its (biased) standard deviation");
    }

    @Test
    void inferenceIsTheFallbacksNativeOp() {
        Unused fallback = new Unused();
        ChannelBatchNorm bn = new ChannelBatchNorm(fallback);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 2, 3, 3);
        INDArray one = Nd4j.ones(DataType.FLOAT, 1, 2);
        assertSame(x, bn.preOutput(x, false, x.shape(), one, one, one, one, 0.9, EPS, CNN2DFormat.NCHW,
                LayerWorkspaceMgr.noWorkspaces()));
        assertEquals(1, fallback.calls);
    }

    @Test
    void otherShapesGoToTheFallback() {
        Unused fallback = new Unused();
        ChannelBatchNorm bn = new ChannelBatchNorm(fallback);
        INDArray dense = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray gamma = Nd4j.ones(DataType.FLOAT, 1, 3);
        INDArray beta = Nd4j.zeros(DataType.FLOAT, 1, 3);
        INDArray out = bn.preOutput(dense, true, dense.shape(), gamma, beta, beta, gamma, 0.9, EPS, CNN2DFormat.NCHW,
                LayerWorkspaceMgr.noWorkspaces());
        assertSame(dense, out, "the fallback's result");
        assertEquals(1, fallback.calls);
        INDArray nchw = Nd4j.rand(DataType.FLOAT, 2, 3, 3, 3);
        bn.backpropGradient(nchw, nchw, nchw.shape(), gamma, beta, beta.dup(), beta.dup(), EPS, CNN2DFormat.NCHW,
                LayerWorkspaceMgr.noWorkspaces());
        assertEquals(2, fallback.calls, "the backward pass follows the forward pass to the fallback");
        assertTrue(ChannelBatchNorm.handles(Nd4j.rand(DataType.FLOAT, 1, 2, 2, 2)));
        assertNotNull(bn.helperMemoryUse());
    }
}
