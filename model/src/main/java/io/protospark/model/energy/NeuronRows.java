package io.protospark.model.energy;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads a layer's weight parameter as a matrix with one row per neuron, and writes a gradient back.
 *
 * <p>DL4J hands a {@link org.nd4j.linalg.learning.regularization.Regularization} the parameter either as a flat view
 * of the network's parameter buffer (in {@code apply}) or as the layer's shaped view (in {@code score}). Every layer
 * protospark regularises stores each neuron's weights contiguously: a convolution's {@code W} is [nOut, nIn, kH, kW]
 * in c order, a dense or output layer's {@code W} is [nIn, nOut] in f order, and the sphere layers use
 * [nOut, fan-in] in c order. Reading the array in its own ordering therefore gives the storage order in all cases,
 * and reshaping that to [neurons, fan-in] row-major puts one neuron per row.
 */
public final class NeuronRows {
    private NeuronRows() {
    }

    /** The parameter as a new DOUBLE [neurons, fanIn] matrix, one neuron per row. */
    public static INDArray read(INDArray param, int neurons) {
        long n = param.length();
        if (neurons <= 0 || n % neurons != 0) {
            throw new IllegalArgumentException("a parameter of " + n + " values cannot hold " + neurons + " neurons");
        }
        double[] storage = param.dup(param.ordering()).data().asDouble();
        return Nd4j.create(storage, new long[]{neurons, n / neurons}, 'c');
    }

    /** Adds {@code rows} (a [neurons, fanIn] matrix in neuron-row layout) to the gradient view, in place. */
    public static void addTo(INDArray gradView, INDArray rows) {
        if (rows.length() != gradView.length()) {
            throw new IllegalArgumentException("gradient of " + rows.length() + " values for a view of "
                    + gradView.length());
        }
        double[] storage = rows.dup('c').data().asDouble();
        INDArray shaped = Nd4j.create(storage, gradView.shape(), gradView.ordering());
        gradView.addi(shaped.dataType() == gradView.dataType() ? shaped : shaped.castTo(gradView.dataType()));
    }

    /** A DOUBLE copy (no-op cast when already double). */
    static INDArray asDouble(INDArray a) {
        return a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
    }
}
