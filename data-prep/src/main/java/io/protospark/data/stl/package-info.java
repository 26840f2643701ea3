/**
 * STL-10 binary input: {@link io.protospark.data.stl.Stl10Source} checks sizes and reads the labels on the driver;
 * the images are read on the executors by {@link io.protospark.data.npy.NpyRows}.
 */
package io.protospark.data.stl;
