/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip), through the Hadoop FileSystem API.
 * {@link io.protospark.data.idx.IdxSource} finds the four standard files in a directory and
 * {@link io.protospark.data.idx.IdxReader} validates headers, sizes and labels while reading them.
 */
package io.protospark.data.idx;
