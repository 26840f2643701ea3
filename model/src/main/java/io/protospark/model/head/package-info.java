/**
 * Classifier heads and decision rules beyond the fixed prototype layer: the weight-normalised learnable classifier
 * ({@link io.protospark.model.head.NormalizedDense}, RePoNet's trained baseline), a trainable PReLU
 * ({@link io.protospark.model.head.Prelu}), the Deep Simplex Classifier's dimension augmentation module and face
 * "revised network" ({@link io.protospark.model.head.Dam}), and the prediction rules and open-set score over
 * embeddings and prototypes ({@link io.protospark.model.head.Decision}). Plain JVM, no Spark.
 */
package io.protospark.model.head;
