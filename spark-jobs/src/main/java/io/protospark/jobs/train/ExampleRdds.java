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

    /**
     * A random permutation of the examples across {@code partitions}, reproducible from seed and epoch alone. Each
     * example's sort key is a 64-bit hash of the seed, the epoch and the example's content (label and pixels), so
     * neither the partition an example lands in nor its place in it depends on how the examples arrive: Spark's
     * shuffle reads hand a partition its records in fetch order, which varies from run to run, and a key drawn in
     * arrival order would make every epoch's minibatches (and so the trained parameters) differ between two identical
     * runs, or between a run and its resumed twin. Identical examples may swap places, which changes nothing.
     */
    static JavaRDD<Example> shuffle(JavaRDD<Example> examples, long seed, int epoch, int partitions) {
        JavaPairRDD<Long, Example> keyed = examples.mapToPair(e -> new Tuple2<>(key(seed, epoch, e), e));
        return keyed.repartitionAndSortWithinPartitions(new HashPartitioner(partitions)).values();
    }

    /**
     * The examples in a fixed order that does not depend on how they arrive ({@link #shuffle} with epoch 0), for
     * the passes whose sums must come out the same in every run (evaluation, the class-memory pass).
     */
    static JavaRDD<Example> canonical(JavaRDD<Example> examples, int partitions) {
        return shuffle(examples, 0x5eed_0f_0e7a1L, 0, partitions);
    }

    /** A 64-bit hash of seed, epoch, label and pixels: FNV-1a over the bytes, finished by SplitMix64's mixer. */
    static long key(long seed, int epoch, Example e) {
        long h = 0xcbf29ce484222325L ^ mix(seed * 0x9E3779B97F4A7C15L + epoch);
        byte[] p = e.pixels();
        for (byte b : p) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ e.label()) * 0x100000001b3L;
        return mix(h ^ p.length);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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
