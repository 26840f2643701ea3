package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.stream.Stream;

import static io.protospark.model.fast.BatchNormReference.EPS;
import static io.protospark.model.fast.BatchNormReference.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DnnlBatchNorm} against the batch-norm formulas ({@link BatchNormReference}): float maps on oneDNN in both
 * layouts, with and without the fused ReLU, with a common offset on the inputs, in training (forward, batch
 * statistics, backward) and inference; and the fallback path (double), where the ReLU is applied around the fallback.
 */
class DnnlBatchNormTest {
    static Stream<Arguments> cases() {
        return Stream.of(CNN2DFormat.NCHW, CNN2DFormat.NHWC).flatMap(f -> Stream.of(false, true).flatMap(
                relu -> Stream.of(0.0, 100.0).map(offset -> Arguments.of(f, relu, offset))));
    }

    private static INDArray maps(double[][][][] a, DataType type, CNN2DFormat format) {
        INDArray nchw = Nd4j.create(a).castTo(type);
        return format == CNN2DFormat.NHWC ? nchw.permute(0, 2, 3, 1).dup('c') : nchw;
    }

    private static INDArray asNchw(INDArray a, CNN2DFormat format) {
        return format == CNN2DFormat.NHWC ? a.permute(0, 3, 1, 2) : a;
    }

    @ParameterizedTest(name = "{0} relu={1} offset={2}")
    @MethodSource("cases")
    void floatTrainingStepMatchesTheFormulas(CNN2DFormat format, boolean relu, double offset) {
        java.util.Random r = new java.util.Random(5);
        int n = 4;
        int c = 19; // not a multiple of the vector width: the kernels' tail path runs
        int h = 5;
        int w = 3;
        double[][][][] x = BatchNormReference.random(r, n, c, h, w, offset);
        double[][][][] dy = BatchNormReference.random(r, n, c, h, w, 0.3);
        double[] gamma = new double[c];
        double[] beta = new double[c];
        for (int k = 0; k < c; k++) {
            gamma[k] = 1.5 - 0.2 * k;
            beta[k] = 0.3 * (k % 5) - 0.5;
        }
        BatchNormReference ref = BatchNormReference.of(x, dy, gamma, beta, relu);

        BatchNormReference.Unused fallback = new BatchNormReference.Unused();
        DnnlBatchNorm bn = new DnnlBatchNorm(fallback, relu);
        INDArray xs = maps(x, DataType.FLOAT, format);
        INDArray dys = maps(dy, DataType.FLOAT, format);
        INDArray g = Nd4j.create(new double[][] {gamma}).castTo(DataType.FLOAT);
        INDArray b = Nd4j.create(new double[][] {beta}).castTo(DataType.FLOAT);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        // oneDNN accumulates in float: with inputs ~100x their spread from zero, sums over the batch keep ~3 digits
        double tol = offset == 0 ? 2e-5 : 5e-4;

        INDArray y = bn.preOutput(xs, true, xs.shape(), g, b, Nd4j.zeros(DataType.FLOAT, 1, c),
                Nd4j.ones(DataType.FLOAT, 1, c), 0.9, EPS, format, ws);
        assertClose(ref.y(), asNchw(y, format), tol, format + " y");
        assertClose(ref.mean(), bn.getMeanCache(DataType.FLOAT), tol, "batch mean");
        assertClose(ref.var(), bn.getVarCache(DataType.FLOAT), tol * 10, "batch variance");

        INDArray dGamma = Nd4j.zeros(DataType.FLOAT, 1, c);
        INDArray dBeta = Nd4j.zeros(DataType.FLOAT, 1, c);
        Pair<Gradient, INDArray> back = bn.backpropGradient(xs, dys, xs.shape(), g, b, dGamma, dBeta, EPS, format, ws);
        assertClose(ref.dx(), asNchw(back.getSecond(), format), tol * 10, format + " dx");
        assertClose(ref.dGamma(), dGamma, tol * 10, "dGamma");
        assertClose(ref.dBeta(), dBeta, tol, "dBeta");
        assertSame(dGamma, back.getFirst().getGradientFor("gamma"));
        assertSame(dBeta, back.getFirst().getGradientFor("beta"));
        assertEquals(0, fallback.calls, "float maps must not reach the fallback");
        assertEquals(1, bn.oneDnnForwardPasses());
        assertEquals(1, bn.oneDnnBackwardPasses());
    }

    @ParameterizedTest(name = "{0} relu={1} offset={2}")
    @MethodSource("cases")
    void inferenceUsesTheRunningStatistics(CNN2DFormat format, boolean relu, double offset) {
        java.util.Random r = new java.util.Random(9);
        int c = 3;
        double[][][][] x = BatchNormReference.random(r, 2, c, 4, 5, offset);
        double[] runMean = {offset, 2 * offset + 0.5, 3 * offset - 0.25};
        double[] runVar = {0.25, 1.5, 6.0};
        double[] gamma = {1.5, -0.7, 0.2};
        double[] beta = {0.1, 2.0, -1.0};
        DnnlBatchNorm bn = new DnnlBatchNorm(new BatchNormReference.Unused(), relu);
        INDArray xs = maps(x, DataType.FLOAT, format);
        INDArray y = asNchw(bn.preOutput(xs, false, xs.shape(), row(gamma), row(beta), row(runMean), row(runVar), 0.9,
                EPS, format, LayerWorkspaceMgr.noWorkspaces()), format);
        for (int e = 0; e < 2; e++) {
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 5; j++) {
                        double want = gamma[k] * (x[e][k][i][j] - runMean[k]) / Math.sqrt(runVar[k] + EPS) + beta[k];
                        want = relu ? Math.max(0, want) : want;
                        assertEquals(want, y.getDouble(e, k, i, j), 1e-4 * Math.max(1, Math.abs(want)));
                    }
                }
            }
        }
        assertEquals(1, bn.oneDnnForwardPasses());
    }

    private static INDArray row(double[] v) {
        return Nd4j.create(new double[][] {v}).castTo(DataType.FLOAT);
    }

    /** Double maps (gradient checks) go to the fallback, with the ReLU and its derivative applied around it. */
    @Test
    void doubleMapsTakeTheFallbackWithTheRelu() {
        java.util.Random r = new java.util.Random(3);
        double[][][][] x = BatchNormReference.random(r, 3, 2, 3, 4, 0.0);
        double[][][][] dy = BatchNormReference.random(r, 3, 2, 3, 4, 0.3);
        double[] gamma = {1.2, -0.4};
        double[] beta = {0.2, 0.1};
        BatchNormReference ref = BatchNormReference.of(x, dy, gamma, beta, true);
        BatchNormalizationHelper inner = new ChannelBatchNorm(new BatchNormReference.Unused());
        DnnlBatchNorm bn = new DnnlBatchNorm(inner, true);
        INDArray xs = Nd4j.create(x);
        INDArray g = Nd4j.create(new double[][] {gamma});
        INDArray b = Nd4j.create(new double[][] {beta});
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        INDArray y = bn.preOutput(xs, true, xs.shape(), g, b, Nd4j.zeros(DataType.DOUBLE, 1, 2), Nd4j.ones(DataType.DOUBLE, 1, 2), 0.9, EPS,
                CNN2DFormat.NCHW, ws);
        assertClose(ref.y(), y, 1e-12, "double y");
        INDArray dGamma = Nd4j.zeros(DataType.DOUBLE, 1, 2);
        INDArray dBeta = Nd4j.zeros(DataType.DOUBLE, 1, 2);
        INDArray dx = bn.backpropGradient(xs, Nd4j.create(dy), xs.shape(), g, b, dGamma, dBeta, EPS,
                CNN2DFormat.NCHW, ws).getSecond();
        assertClose(ref.dx(), dx, 1e-11, "double dx");
        assertClose(ref.dGamma(), dGamma, 1e-11, "double dGamma");
        assertClose(ref.dBeta(), dBeta, 1e-11, "double dBeta");
        assertEquals(0, bn.oneDnnForwardPasses());
        assertTrue(bn.fusesRelu());
        assertNotNull(bn.getMeanCache(DataType.DOUBLE));
    }
}
