/**
 * What every input format is read into before transforms and writing: in-memory arrays for small data sets
 * ({@link io.protospark.data.source.ImageArrays}) and row makers that run on the executors
 * ({@link io.protospark.data.source.RowSource}).
 */
package io.protospark.data.source;
