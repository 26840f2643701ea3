/**
 * Examples as the training loop holds them (label and uint8 CHW pixels) and their decoding into minibatches:
 * scaling and normalisation, the crop-and-flip augmentation, mixup, label smoothing and outlier exposure. Plain
 * JVM code without Spark: the training loop runs it inside its Spark tasks, tests run it directly.
 */
package io.protospark.jobs.examples;
