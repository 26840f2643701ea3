/**
 * The {@code prepare} command: reads a raw data set once (IDX, CIFAR binary, image trees, ImageNet, InsightFace
 * RecordIO, verification pairs) and publishes it as checksummed Parquet shards with a {@code manifest.json}.
 * {@link io.protospark.data.PrepareSettings} reads {@code protospark.prepare.*}, {@code Sources} reads each format,
 * {@link io.protospark.data.PrepareJob} plans the transforms and writes, and every malformed input raises a
 * {@link io.protospark.data.DataFormatException} that names the file and the offset or record.
 */
package io.protospark.data;
