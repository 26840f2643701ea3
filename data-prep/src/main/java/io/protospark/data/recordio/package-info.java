/**
 * InsightFace / MXNet RecordIO input: {@link io.protospark.data.recordio.RecordIO} reads framed (and split)
 * records, {@link io.protospark.data.recordio.RecordIOSource} checks the header, index and identity ranges on the
 * driver, and {@link io.protospark.data.recordio.RecordIORows} decodes the face images on the executors.
 */
package io.protospark.data.recordio;
