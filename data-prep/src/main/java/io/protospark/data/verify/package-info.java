/**
 * Face verification sets (InsightFace {@code .bin} pickles, LFW {@code pairs.txt}) prepared as pair shards
 * ({@link io.protospark.data.shard.ShardSchema#PAIR_SCHEMA}) with 10-fold assignments.
 */
package io.protospark.data.verify;
