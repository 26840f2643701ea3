package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch norm computed from its formulas in double, per channel over NCHW maps: batch mean, biased variance, the
 * output y = γ·x̂ + β (then max(y, 0) with {@code relu}) and the backward pass for an upstream gradient dy (masked by
 * y > 0 first with {@code relu}), through the batch statistics. Shared by the batch-norm helper tests.
 */
record BatchNormReference(double[] mean, double[] var, double[][][][] y, double[][][][] dx, double[] dGamma,
                          double[] dBeta) {
    static final double EPS = 1e-5;

    static BatchNormReference of(double[][][][] x, double[][][][] dyIn, double[] gamma, double[] beta, boolean relu) {
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
        double[][][][] dy = new double[n][c][h][w];
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
                        double out = gamma[k] * xhat + beta[k];
                        y[e][k][i][j] = relu ? Math.max(out, 0) : out;
                        dy[e][k][i][j] = relu && out <= 0 ? 0 : dyIn[e][k][i][j];
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
        return new BatchNormReference(mean, var, y, dx, dGamma, dBeta);
    }

    /** Maps with channel k's values around offset·(k + 1), spread 0.5 + k. */
    static double[][][][] random(java.util.Random r, int n, int c, int h, int w, double offset) {
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

    /** Element-wise closeness of NCHW {@code actual} to {@code expected}, relative above 1, absolute below. */
    static void assertClose(double[][][][] expected, INDArray actual, double tol, String what) {
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

    static void assertClose(double[] expected, INDArray actual, double tol, String what) {
        assertEquals(expected.length, actual.length(), what + " length");
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], actual.getDouble(k), tol * Math.max(1, Math.abs(expected[k])),
                    what + "[" + k + "]");
        }
    }

    /** A helper that counts its calls and computes nothing: where a test requires that a fallback is not used. */
    static final class Unused implements BatchNormalizationHelper {
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
}
