/**
 * The {@code prepare} command: reads a raw data set once and publishes it as checksummed Parquet shards with a
 * {@code manifest.json}. {@link io.protospark.data.PrepareSettings} reads {@code protospark.prepare.*},
 * {@link io.protospark.data.PrepareJob} does the work and every malformed input raises a
 * {@link io.protospark.data.DataFormatException} that names the file and the offset or record.
 */
package io.protospark.data;
