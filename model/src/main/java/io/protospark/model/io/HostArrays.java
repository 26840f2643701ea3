package io.protospark.model.io;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Java copies of ND4J matrices in one native copy. {@code INDArray.toDoubleMatrix()} copies a matrix row by row,
 * one native op per row (≈ 2 ms for a 256×9 matrix on the 2-core reference machine, more than the small network's
 * forward pass it follows); these cast and lay out the whole array once and cut the rows in Java.
 */
public final class HostArrays {
    private HostArrays() {
    }

    /** The rows of a matrix (any order, any floating or integer type), as doubles. */
    public static double[][] rows(INDArray m) {
        if (m.rank() != 2) {
            throw new IllegalArgumentException("expected a matrix, got shape " + java.util.Arrays.toString(m.shape()));
        }
        int r = Math.toIntExact(m.rows());
        int c = Math.toIntExact(m.columns());
        double[] flat = flat(m);
        double[][] out = new double[r][];
        for (int i = 0; i < r; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
        }
        return out;
    }

    /** Every element in row-major order, as doubles. */
    public static double[] flat(INDArray a) {
        INDArray d = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
        // a fresh c-order copy unless d already is one that owns its whole buffer from offset 0
        if (d.ordering() != 'c' || d.isView() || d.offset() != 0 || d.data().length() != d.length()) {
            d = d.dup('c');
        }
        return d.data().asDouble();
    }
}
