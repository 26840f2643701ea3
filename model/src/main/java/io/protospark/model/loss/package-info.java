/**
 * DL4J loss functions that pull the network's embedding towards fixed per-class targets (DSC simplex centres or
 * DL2PA prototypes), held by the loss as a replaceable K×d matrix and selected by one-hot labels.
 * Each is a JSON-serialisable {@link org.nd4j.linalg.lossfunctions.ILossFunction} for a {@code LossLayer} placed
 * directly on the embedding, with the seeds' normalisations documented per class.
 *
 * <p>No I/O: a loss Java-serialised by reference holds only a {@link io.protospark.model.loss.TargetsRef}, resolved
 * through the {@link io.protospark.model.loss.TargetsResolver} service; the files live in
 * {@code io.protospark.model.targets}.
 */
package io.protospark.model.loss;
