package io.protospark.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test fixture of the gradient-checked layers, losses and regularisers: switches ND4J's default data types to double
 * for a test class (call {@link #use()} in {@code @BeforeAll}, {@link #restore()} in {@code @AfterAll}) and builds
 * double one-hot labels.
 */
public final class DoublePrecision {
    private static DataType savedData;
    private static DataType savedFloat;

    private DoublePrecision() {
    }

    /** Makes double ND4J's default data type, remembering the previous defaults. */
    public static void use() {
        savedData = Nd4j.dataType();
        savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    /** Puts back the defaults {@link #use()} found. */
    public static void restore() {
        if (savedData != null) {
            Nd4j.setDefaultDataTypes(savedData, savedFloat);
            savedData = null;
        }
    }

    /** N×k double labels, row i one-hot at {@code labels[i]}. */
    public static INDArray oneHot(int k, int... labels) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, labels.length, k);
        for (int i = 0; i < labels.length; i++) {
            y.putScalar(i, labels[i], 1.0);
        }
        return y;
    }
}
