package io.protospark.model.energy;

/**
 * A layer configuration of protospark's own that {@link EnergyRegularizers} treats as a weight layer, beside DL4J's
 * convolution, dense and output layers: its weight holds {@link #neurons()} rows of {@link #fanIn()} values in
 * {@link NeuronRows} layout. The sphere layers and the weight-normalised dense head implement it, so this package
 * does not depend on theirs.
 */
public interface NeuronRowLayer {
    /** Number of neurons (output channels or units): the rows of the weight matrix. */
    int neurons();

    /** Inputs each neuron sees (k·k·c_in for a convolution, nIn for a dense layer). */
    long fanIn();
}
