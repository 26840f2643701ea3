/**
 * Fast layers: {@link io.protospark.model.fast.FastLayers#convert} turns a network configuration's stock convolution,
 * pooling and batch-normalisation layers into subclasses whose forward and backward passes run as single libnd4j ops
 * (oneDNN kernels with the {@code linux-x86_64-onednn-avx2} nd4j-native build), inside ordinary
 * {@code ComputationGraph}s and {@code MultiLayerNetwork}s.
 */
package io.protospark.model.fast;
