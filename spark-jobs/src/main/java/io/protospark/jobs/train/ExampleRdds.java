package io.protospark.jobs.train;

import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.examples.Minibatches.BatchIterator;
import io.protospark.jobs.examples.Minibatches.Training;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Training examples read from Parquet shards, and their per-epoch shuffling and batching on the executors.
 *
 * <p>Examples stay as compact uint8 rows in Spark's memory; each epoch they are reshuffled with a seed derived
 * from the run seed and the epoch, and decoded into float minibatches ({@link Minibatches}: pixels / 255, one-hot
 * labels) where they are trained.
 */
final class ExampleRdds {
    private ExampleRdds() {
    }

    /** Reads a split of a shard set as examples, in {@code partitions} partitions. */
    static JavaRDD<Example> read(SparkSession spark, ShardSet shards, String split, int partitions, long limit) {
        var df = spark.read().parquet(shards.parquetPaths(split))
                .select(ShardSchema.ID, ShardSchema.LABEL, ShardSchema.PIXELS)
                .orderBy(ShardSchema.ID);
        if (limit > 0) {
            df = df.limit((int) Math.min(limit, Integer.MAX_VALUE));
        }
        return df.javaRDD()
                .map((Row r) -> new Example(r.getInt(1), (byte[]) r.get(2)))
                .repartition(partitions);
    }

    /** A random permutation of the examples across {@code partitions}, reproducible from seed and epoch. */
    static JavaRDD<Example> shuffle(JavaRDD<Example> examples, long seed, int epoch, int partitions) {
        JavaPairRDD<Long, Example> keyed = examples.mapPartitionsWithIndex((idx, it) -> {
            Random rnd = new Random(seed * 1_000_003L + epoch * 7_919L + idx);
            List<Tuple2<Long, Example>> out = new ArrayList<>();
            while (it.hasNext()) {
                out.add(new Tuple2<>(rnd.nextLong(), it.next()));
            }
            return out.iterator();
        }, true).mapToPair(t -> t);
        return keyed.repartitionAndSortWithinPartitions(new HashPartitioner(partitions)).values();
    }

    /** Minibatches of at most {@code batchSize} examples per partition, decoded to float without augmentation. */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, int batchSize, int classes, Decoding decoding) {
        return batches(examples, batchSize, classes, decoding.withoutAugmentation(), 0L);
    }

    /** Minibatches of at most {@code batchSize} examples per partition, decoded (and augmented with {@code seed}). */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, int batchSize, int classes, Decoding decoding,
                                    long seed) {
        return batches(examples, null, batchSize, classes, decoding, Training.NONE, seed);
    }

    /**
     * Training minibatches: decoded and augmented as {@link #batches(JavaRDD, int, int, Decoding, long)}, then mixed,
     * smoothed and given outliers as {@code training} says. {@code outliers} (same number of partitions as
     * {@code examples}) supplies the outlier-exposure examples, partition by partition, cycled when a partition has
     * fewer than its minibatches need; null when {@code training.outliers()} is 0.
     */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, JavaRDD<Example> outliers, int batchSize, int classes,
                                    Decoding decoding, Training training, long seed) {
        if (training.outliers() == 0) {
            boolean random = decoding.augments() || training.random();
            return examples.mapPartitionsWithIndex((idx, it) -> new BatchIterator(it, null, batchSize, classes,
                    decoding, training, random ? Minibatches.partitionRandom(seed, idx) : null), true);
        }
        if (outliers == null || outliers.getNumPartitions() != examples.getNumPartitions()) {
            throw new IllegalArgumentException("outlier exposure needs an outlier RDD with "
                    + examples.getNumPartitions() + " partitions");
        }
        return examples.zipPartitions(outliers, (it, out) -> {
            List<Example> pool = new ArrayList<>();
            out.forEachRemaining(pool::add);
            if (pool.isEmpty() && it.hasNext()) {
                throw new IllegalStateException("a partition of the outlier-exposure data is empty; give "
                        + "protospark.train.outliers.data at least as many examples as there are workers");
            }
            return new BatchIterator(it, pool, batchSize, classes, decoding, training,
                    Minibatches.partitionRandom(seed, org.apache.spark.TaskContext.getPartitionId()));
        });
    }
}
