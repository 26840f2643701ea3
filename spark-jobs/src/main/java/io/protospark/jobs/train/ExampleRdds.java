package io.protospark.jobs.train;

import io.protospark.data.shard.ShardRows;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.examples.Minibatches.BatchIterator;
import io.protospark.jobs.examples.Minibatches.Training;
import io.protospark.jobs.spark.ShardRdds;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Training examples read from Parquet shards, and their per-epoch shuffling and batching on the executors.
 *
 * <p>Examples stay as compact uint8 rows in Spark's memory; each epoch they are reshuffled with a seed derived
 * from the run seed and the epoch, and decoded into float minibatches ({@link Minibatches}: pixels / 255, one-hot
 * labels) where they are trained.
 */
final class ExampleRdds {
    private static final Logger LOG = LoggerFactory.getLogger(ExampleRdds.class);

    private ExampleRdds() {
    }

    /**
     * Reads the first {@code limit} examples of a split (0 = all; the shards hold ascending ids, so these are the
     * examples of the smallest ids) in at least {@code partitions} partitions when it has that many examples, each
     * partition sorted by id and the same in every run. The executors read the shards themselves, each partition a
     * whole file, a run of whole row groups of one file, or (where a file has fewer row groups than the pieces asked
     * of it) a row range inside one row group ({@link ShardRows#plan}), so the examples reach as many tasks as there
     * are workers without a shuffle. (Training does not depend on this layout: every epoch puts the examples in an
     * order of their own content, {@link #shuffle}.)
     */
    static JavaRDD<Example> read(SparkSession spark, ShardSet shards, String split, int partitions, long limit) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<ShardRows.Range> plan = ShardRows.plan(shards, split, partitions, limit, jsc.hadoopConfiguration());
        long examples = plan.stream().mapToLong(ShardRows.Range::rows).sum();
        LOG.info("split '{}': {} examples of {} shard(s) read in {} partitions for {} workers", split, examples,
                plan.stream().map(ShardRows.Range::file).distinct().count(), plan.size(), partitions);
        // encoded images (prepare.store = encoded) are decoded where they are trained
        String column = shards.manifest().encoded() ? ShardSchema.ENCODED : ShardSchema.PIXELS;
        return ShardRdds.rows(jsc, plan, ShardSchema.LABEL, column)
                .map(r -> new Example((Integer) r[0], (byte[]) r[1]));
    }

    /**
     * Logs a warning, and returns it, when the first {@code limit} examples of {@code split} (0 = all) are too few for
     * {@code workers} training workers of {@code batchSize} examples per minibatch: fewer than
     * {@code workers * batchSize}, so that a worker's share of an epoch is less than one minibatch (and with fewer
     * examples than workers, some workers get none). Null when the split is large enough.
     */
    static String warnIfTooSmall(ShardSet shards, String split, long limit, int workers, int batchSize) {
        long all = shards.examples(split);
        long examples = limit > 0 ? Math.min(limit, all) : all;
        long needed = (long) workers * batchSize;
        if (examples >= needed) {
            return null;
        }
        int files = 0;
        for (long held = 0; held < examples; files++) {
            held += shards.manifest().files(split).get(files).examples();
        }
        String share = examples < workers ? "at least " + (workers - examples) + " of the workers get no example"
                : "each worker trains on about " + examples / workers + " examples an epoch, less than one minibatch";
        String message = "split '" + split + "' of " + shards.root() + " is too small for the " + workers
                + " workers asked for (protospark.train.workers): " + examples + " examples"
                + (examples < all ? " (protospark.train.max-train-examples of " + all + ")" : "") + " in " + files
                + (files == 1 ? " shard" : " shards") + ", fewer than workers x batch-size = " + workers + " x "
                + batchSize + " = " + needed + ", so " + share + "; lower protospark.train.workers or "
                + "protospark.train.batch-size, or train on more data";
        LOG.warn(message);
        return message;
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

    /** A 64-bit hash of seed, epoch, label and pixels ({@link Example#key}). */
    static long key(long seed, int epoch, Example e) {
        return Example.key(seed, epoch, e);
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
                    decoding, training, random ? Minibatches.partitionRandom(seed, idx) : null, seed), true);
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

    /**
     * The examples of each partition in minibatches of {@code batchSize} (the last one shorter), numbered from 0
     * within the partition: an epoch of encoded images, still encoded ({@link #decodedRound} decodes them).
     */
    static JavaRDD<Tuple2<List<Example>, Integer>> groups(JavaRDD<Example> examples, int batchSize) {
        return examples.mapPartitions(it -> {
            List<Tuple2<List<Example>, Integer>> numbered = new ArrayList<>();
            while (it.hasNext()) {
                List<Example> batch = new ArrayList<>(batchSize);
                while (it.hasNext() && batch.size() < batchSize) {
                    batch.add(it.next());
                }
                numbered.add(new Tuple2<>(batch, numbered.size()));
            }
            return numbered.iterator();
        }, true);
    }

    /**
     * Minibatches {@code lo .. hi - 1} of every partition of {@code groups}, decoded and augmented where they are
     * trained ({@link BatchIterator}, with its decoding pool). Each encoded image's crop, flip and erasing come from
     * {@code seed} and its content; what else is random (mixup) from the partition and the round's first minibatch.
     */
    static JavaRDD<DataSet> decodedRound(JavaRDD<Tuple2<List<Example>, Integer>> groups, int lo, int hi,
                                         int batchSize, int classes, Decoding decoding, Training training,
                                         long seed) {
        boolean random = decoding.augments() || training.random();
        return groups.filter(b -> b._2() >= lo && b._2() < hi)
                .mapPartitionsWithIndex((idx, it) -> {
                    Iterator<Example> examples = new Iterator<>() {
                        private Iterator<Example> current = java.util.Collections.emptyIterator();

                        @Override
                        public boolean hasNext() {
                            while (!current.hasNext() && it.hasNext()) {
                                current = it.next()._1().iterator();
                            }
                            return current.hasNext();
                        }

                        @Override
                        public Example next() {
                            if (!hasNext()) {
                                throw new java.util.NoSuchElementException();
                            }
                            return current.next();
                        }
                    };
                    return new BatchIterator(examples, null, batchSize, classes, decoding, training,
                            random ? Minibatches.partitionRandom(seed * 1_000_003L + lo, idx) : null, seed);
                }, true);
    }
}
