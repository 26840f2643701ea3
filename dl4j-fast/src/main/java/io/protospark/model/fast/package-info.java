/**
 * Fast layers: {@link io.protospark.model.fast.FastLayers#convert} turns a network configuration's stock convolution,
 * pooling and batch-normalisation layers into subclasses whose forward and backward passes run as single libnd4j ops
 * (oneDNN kernels with the {@code linux-x86_64-onednn-avx2} nd4j-native build), inside ordinary
 * {@code ComputationGraph}s and {@code MultiLayerNetwork}s.
 *
 * <p>The module {@code protospark-dl4j-fast} holds this package alone. It is written against DL4J 1.0.0-M2.1: it sets
 * private fields of that release's layers by reflection ({@code NativeHelpers}, {@code FastLayers}) and calls the
 * oneDNN 2.5.2 presets nd4j-native 1.0.0-M2.1 is built with; any other DL4J release needs it checked first (the
 * module's README). It depends on DL4J and ND4J only, nothing else of protospark. The package keeps its name because
 * the class names of its layers and vertices are written into saved configurations and {@code model.zip} files.
 */
package io.protospark.model.fast;
