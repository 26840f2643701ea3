package io.protospark.model.io;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostArraysTest {
    /** Every layout the callers meet: c and f order, row and column views, a transpose, float, int, double. */
    @Test
    void rowsEqualToDoubleMatrixForEveryLayout() {
        INDArray base = Nd4j.linspace(1, 60, 60, DataType.DOUBLE).reshape(6, 10).muli(0.37);
        INDArray[] layouts = {
                base,
                base.dup('f'),
                base.castTo(DataType.FLOAT),
                base.castTo(DataType.INT),
                base.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()),
                base.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 7)),
                base.transpose(),
                base.dup('f').get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(2, 9)),
        };
        for (INDArray a : layouts) {
            double[][] expected = a.toDoubleMatrix();
            double[][] got = HostArrays.rows(a);
            assertEquals(expected.length, got.length);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], got[i], 0.0, "row " + i + " of " + a.shapeInfoToString());
            }
        }
    }

    @Test
    void flatIsRowMajorAndRefusesNothing() {
        INDArray v = Nd4j.createFromArray(new float[] {1.5f, -2f, 3.25f});
        assertArrayEquals(new double[] {1.5, -2, 3.25}, HostArrays.flat(v), 0.0);
        INDArray m = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}}).dup('f');
        assertArrayEquals(new double[] {1, 2, 3, 4}, HostArrays.flat(m), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostArrays.rows(v));
        assertEquals("expected a matrix, got shape [3]", e.getMessage());
    }
}
