/**
 * What every format package of {@code prepare} shares, beneath them all: {@link io.protospark.data.io.DataFormatException}
 * for input that cannot be used (naming the file and the offset or record), {@link io.protospark.data.io.HadoopPaths}
 * for turning user-given URIs into Hadoop paths and listing an input directory, and
 * {@link io.protospark.data.io.HadoopConf}, the Hadoop configuration that row sources carry to the executors. It
 * imports no other {@code io.protospark.data} package.
 */
package io.protospark.data.io;
