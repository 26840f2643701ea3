package io.protospark.model.fast;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DnnlRelu} against max(x, 0) and dy·[x > 0], and {@link DnnlAdd} against max(a + b, 0), computed here element
 * by element.
 */
class DnnlReluTest {
    @Test
    void forwardAndGradientMatchTheDefinition() {
        Nd4j.getRandom().setSeed(4);
        // 2·5·7·3 = 210 values: not a multiple of the vector width; exact zeros included
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 5, 7, 3);
        x.putScalar(new long[] {0, 0, 0, 0}, 0f);
        x.putScalar(new long[] {1, 4, 6, 2}, 0f);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 2, 5, 7, 3);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 2, 5, 7, 3);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, 2, 5, 7, 3);
        assertTrue(DnnlRelu.takes(x, y));
        DnnlRelu.forward(x, y);
        DnnlRelu.backward(x, dy, dx);
        float[] xs = x.data().asFloat();
        float[] ys = y.data().asFloat();
        float[] dys = dy.data().asFloat();
        float[] dxs = dx.data().asFloat();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(Math.max(xs[i], 0f), ys[i], 0f, "y[" + i + "]");
            assertEquals(xs[i] > 0 ? dys[i] : 0f, dxs[i], 0f, "dx[" + i + "] at x = " + xs[i]);
        }
    }

    @Test
    void additionWithReluMatchesTheDefinition() {
        Nd4j.getRandom().setSeed(6);
        INDArray a = Nd4j.randn(DataType.FLOAT, 3, 4, 5, 7);
        INDArray b = Nd4j.randn(DataType.FLOAT, 3, 4, 5, 7);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 3, 4, 5, 7);
        DnnlAdd.addRelu(a, b, y);
        float[] as = a.data().asFloat();
        float[] bs = b.data().asFloat();
        float[] ys = y.data().asFloat();
        for (int i = 0; i < as.length; i++) {
            assertEquals(Math.max(as[i] + bs[i], 0f), ys[i], 0f, "y[" + i + "]");
        }
    }

    @Test
    void otherArraysAreLeftToLibnd4j() {
        assertFalse(DnnlRelu.takes(Nd4j.rand(DataType.DOUBLE, 3, 4)), "double");
        assertFalse(DnnlRelu.takes(Nd4j.rand(DataType.FLOAT, 4, 3).transpose()), "a transposed view");
        assertFalse(DnnlRelu.takes(Nd4j.rand(DataType.FLOAT, 4, 3), Nd4j.rand(DataType.FLOAT, 4, 4)), "lengths");
    }
}
