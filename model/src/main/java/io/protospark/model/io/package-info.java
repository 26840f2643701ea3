/**
 * Byte-exact readers and writers for the files protospark exchanges with other tools. NumPy's {@code .npy}
 * format lets users bring or inspect prototype matrices and assignments with NumPy.
 */
package io.protospark.model.io;
