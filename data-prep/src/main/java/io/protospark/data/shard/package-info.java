/**
 * The published layout of a prepared data set: one directory of Parquet shards per split ({@code train/},
 * {@code test/}, and as configured {@code validation/}, {@code test-unknown/}, or one per verification set) and the
 * {@code manifest.json} that lists them with SHA-256 checksums. {@link io.protospark.data.shard.ShardSet} is what
 * a training job opens: it reads the {@link io.protospark.data.shard.Manifest} and verifies every shard first.
 */
package io.protospark.data.shard;
