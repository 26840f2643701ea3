/**
 * The published layout of a prepared data set: {@code train/} and {@code test/} Parquet shards and the
 * {@code manifest.json} that lists them with SHA-256 checksums. {@link io.protospark.data.shard.ShardSet} is what
 * a training job opens: it reads the {@link io.protospark.data.shard.Manifest} and verifies every shard first.
 */
package io.protospark.data.shard;
