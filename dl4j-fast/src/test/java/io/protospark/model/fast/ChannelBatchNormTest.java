package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
    private static final double EPS = BatchNormReference.EPS;

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
        double[][][][] x = BatchNormReference.random(r, n, c, h, w, offset);
        double[][][][] dy = BatchNormReference.random(r, n, c, h, w, 0.3);
        double[] gamma = {1.5, -0.7, 0.2};
        double[] beta = {0.1, 2.0, -1.0};
        BatchNormReference ref = BatchNormReference.of(x, dy, gamma, beta, false);

        BatchNormReference.Unused fallback = new BatchNormReference.Unused();
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
        BatchNormReference.assertClose(ref.y(), nhwc ? y.permute(0, 3, 1, 2) : y, tol, type + " " + format + " y");
        BatchNormReference.assertClose(ref.mean(), bn.getMeanCache(type), tol, type + " batch mean");
        BatchNormReference.assertClose(ref.var(), bn.getVarCache(type), tol * 10, type + " batch variance");

        INDArray dGamma = Nd4j.zeros(type, 1, c);
        INDArray dBeta = Nd4j.zeros(type, 1, c);
        Pair<Gradient, INDArray> back = bn.backpropGradient(xs, dys, xs.shape(), g, b, dGamma, dBeta, EPS, format, ws);
        BatchNormReference.assertClose(ref.dx(), nhwc ? back.getSecond().permute(0, 3, 1, 2) : back.getSecond(), tol * 10,
                type + " " + format + " dx");
        BatchNormReference.assertClose(ref.dGamma(), dGamma, tol * 10, type + " dGamma");
        BatchNormReference.assertClose(ref.dBeta(), dBeta, tol, type + " dBeta");
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
        INDArray fromView = new ChannelBatchNorm(new BatchNormReference.Unused()).preOutput(x, true, x.shape(), gamma, beta, mean, var,
                0.9, EPS, CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces());
        INDArray fromCopy = new ChannelBatchNorm(new BatchNormReference.Unused()).preOutput(x.dup('c'), true, x.shape(), gamma, beta,
                mean, var, 0.9, EPS, CNN2DFormat.NCHW, LayerWorkspaceMgr.noWorkspaces());
        assertEquals(fromCopy, fromView);
        assertEquals(2.0, fromView.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)).stdNumber().doubleValue() * Math.sqrt(23.0 / 24), 1e-3,
                "channel 0 has γ = 2 as its (biased) standard deviation");
    }

    @Test
    void inferenceIsTheFallbacksNativeOp() {
        BatchNormReference.Unused fallback = new BatchNormReference.Unused();
        ChannelBatchNorm bn = new ChannelBatchNorm(fallback);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 2, 3, 3);
        INDArray one = Nd4j.ones(DataType.FLOAT, 1, 2);
        assertSame(x, bn.preOutput(x, false, x.shape(), one, one, one, one, 0.9, EPS, CNN2DFormat.NCHW,
                LayerWorkspaceMgr.noWorkspaces()));
        assertEquals(1, fallback.calls);
    }

    @Test
    void otherShapesGoToTheFallback() {
        BatchNormReference.Unused fallback = new BatchNormReference.Unused();
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
