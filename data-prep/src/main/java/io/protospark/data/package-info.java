/**
 * The {@code prepare} command: reads a raw data set once (IDX, CIFAR binary, image trees, ImageNet, InsightFace
 * RecordIO, verification pairs) and publishes it as checksummed Parquet shards with a {@code manifest.json}.
 * {@link io.protospark.data.PrepareSettings} reads {@code protospark.prepare.*}, {@code Sources} reads each format,
 * {@link io.protospark.data.PrepareJob} plans the transforms and writes, and every malformed input raises a
 * {@link io.protospark.data.io.DataFormatException} that names the file and the offset or record.
 *
 * <p>Layers: this package (the job) uses the format packages ({@code cifar}, {@code idx}, {@code image},
 * {@code npy}, {@code recordio}, {@code stl}, {@code svhn}, {@code verify}) and {@code source}, {@code shard} and
 * {@code transform}; none of them imports it back. The helpers they all share live beneath them in
 * {@code io.protospark.data.io}.
 */
package io.protospark.data;
