/**
 * NumPy's {@code .npy} format: {@link io.protospark.io.npy.NpyHeader} reads and checks the header for the prototype
 * and assignment files of {@code model} and the image and label arrays of {@code data-prep}. Plain JVM.
 */
package io.protospark.io.npy;
