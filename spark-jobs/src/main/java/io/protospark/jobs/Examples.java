package io.protospark.jobs;

import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.JDKRandomGenerator;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Training examples read from Parquet shards, and their per-epoch shuffling and batching on the executors.
 *
 * <p>Examples stay as compact uint8 rows in Spark's memory; each epoch they are reshuffled with a seed derived
 * from the run seed and the epoch, and decoded into float minibatches (pixels / 255, one-hot labels) where they
 * are trained.
 */
final class Examples {
    private Examples() {
    }

    /** One example: label and uint8 pixels (CHW). */
    record Example(int label, byte[] pixels) implements Serializable {
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

    /**
     * How uint8 CHW pixels become network input: scaled to [0, 1], optionally normalised per channel, and for training
     * optionally augmented (the CIFAR recipe of the seeds: a random crop of the zero-padded image and a random
     * horizontal flip, drawn per example from a generator seeded by the run seed, epoch and partition).
     *
     * @param mean per-channel mean, or empty
     * @param std  per-channel standard deviation, or empty
     */
    record Decoding(int channels, int height, int width, float[] mean, float[] std, int cropPadding, boolean flip)
            implements Serializable {
        /** Plain decoding: pixels / 255, nothing else. */
        static Decoding plain(int channels, int height, int width) {
            return new Decoding(channels, height, width, new float[0], new float[0], 0, false);
        }

        /** The same normalisation without augmentation (evaluation, class memory). */
        Decoding withoutAugmentation() {
            return new Decoding(channels, height, width, mean, std, 0, false);
        }

        boolean augments() {
            return cropPadding > 0 || flip;
        }
    }

    /**
     * What training does to a minibatch after decoding: mixup (Zhang et al.; one λ ~ Beta(α, α) per minibatch, inputs
     * and label rows mixed with a random permutation of the same minibatch), label smoothing (y·(1 − ε) + ε/K, as
     * PyTorch's {@code CrossEntropyLoss(label_smoothing = ε)}), and outlier exposure (the Deep Simplex Classifier's
     * open-set training: {@code outliers} examples from another data set appended to every minibatch with all-zero
     * label rows).
     */
    record Training(double mixupAlpha, double labelSmoothing, int outliers) implements Serializable {
        static final Training NONE = new Training(0, 0, 0);

        boolean random() {
            return mixupAlpha > 0;
        }
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
                    decoding, training, random ? partitionRandom(seed, idx) : null), true);
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
                    partitionRandom(seed, org.apache.spark.TaskContext.getPartitionId()));
        });
    }

    private static Random partitionRandom(long seed, int idx) {
        return new Random(seed * 1_000_003L + idx * 104_729L + 17);
    }

    /** Decodes examples into DataSets lazily, one minibatch at a time. */
    static final class BatchIterator implements Iterator<DataSet> {
        private final Iterator<Example> source;
        private final List<Example> outliers;
        private final int batchSize;
        private final int classes;
        private final Decoding decoding;
        private final Training training;
        private final Random random;
        private int nextOutlier;

        BatchIterator(Iterator<Example> source, List<Example> outliers, int batchSize, int classes, Decoding decoding,
                      Training training, Random random) {
            this.source = source;
            this.outliers = outliers;
            this.batchSize = batchSize;
            this.classes = classes;
            this.decoding = decoding;
            this.training = training;
            this.random = random;
        }

        @Override
        public boolean hasNext() {
            return source.hasNext();
        }

        @Override
        public DataSet next() {
            List<Example> batch = new ArrayList<>(batchSize);
            while (source.hasNext() && batch.size() < batchSize) {
                batch.add(source.next());
            }
            DataSet ds = toDataSet(batch, classes, decoding, decoding.augments() ? random : null);
            if (training.mixupAlpha() > 0) {
                ds = mixup(ds, training.mixupAlpha(), random);
            }
            if (training.labelSmoothing() > 0) {
                ds.getLabels().muli(1 - training.labelSmoothing()).addi(training.labelSmoothing() / classes);
            }
            if (outliers != null) {
                List<Example> chosen = new ArrayList<>(training.outliers());
                for (int i = 0; i < training.outliers(); i++) {
                    chosen.add(outliers.get(nextOutlier));
                    nextOutlier = (nextOutlier + 1) % outliers.size();
                }
                DataSet out = toDataSet(chosen, 0, classes, decoding, decoding.augments() ? random : null);
                ds = new DataSet(Nd4j.concat(0, ds.getFeatures(), out.getFeatures()),
                        Nd4j.concat(0, ds.getLabels(), out.getLabels()));
            }
            return ds;
        }
    }

    /**
     * Mixup of one minibatch: λ ~ Beta(α, α), x ← λ·x + (1 − λ)·x[π], y ← λ·y + (1 − λ)·y[π] for a uniformly random
     * permutation π of the minibatch (both drawn from {@code random}).
     */
    static DataSet mixup(DataSet ds, double alpha, Random random) {
        int n = ds.numExamples();
        BetaDistribution beta = new BetaDistribution(new JDKRandomGenerator(random.nextInt()), alpha, alpha);
        double lambda = beta.sample();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        INDArray x = ds.getFeatures();
        INDArray y = ds.getLabels();
        INDArray xMixed = x.mul(lambda).addi(Nd4j.pullRows(x.reshape(n, -1), 1, perm).reshape(x.shape())
                .muli(1 - lambda));
        INDArray yMixed = y.mul(lambda).addi(Nd4j.pullRows(y, 1, perm).muli(1 - lambda));
        return new DataSet(xMixed, yMixed);
    }

    /** One minibatch; {@code random} draws the augmentation (null = none). */
    static DataSet toDataSet(List<Example> batch, int classes, Decoding d, Random random) {
        return toDataSet(batch, 1, classes, d, random);
    }

    /**
     * One minibatch whose label rows are {@code labelValue} at each example's class: 1 for training and evaluation,
     * 0 for outlier-exposure examples (an all-zero row marks an outlier; their own labels are not checked).
     */
    static DataSet toDataSet(List<Example> batch, int labelValue, int classes, Decoding d, Random random) {
        int n = batch.size();
        int size = d.channels() * d.height() * d.width();
        int plane = d.height() * d.width();
        float[] x = new float[n * size];
        float[] y = new float[n * classes];
        boolean normalise = d.mean().length > 0;
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            if (e.pixels().length != size) {
                throw new IllegalStateException("example with label " + e.label() + " has " + e.pixels().length
                        + " pixel bytes, expected " + size + " (" + d.channels() + "x" + d.height() + "x"
                        + d.width() + ")");
            }
            if (labelValue != 0 && (e.label() < 0 || e.label() >= classes)) {
                throw new IllegalStateException("label " + e.label() + " outside [0, " + classes + ")");
            }
            byte[] p = e.pixels();
            int off = i * size;
            int pad = d.cropPadding();
            int dy = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            int dx = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            boolean flip = random != null && d.flip() && random.nextBoolean();
            for (int c = 0; c < d.channels(); c++) {
                float mean = normalise ? d.mean()[c] : 0f;
                float scale = normalise ? 1f / d.std()[c] : 1f;
                for (int r = 0; r < d.height(); r++) {
                    int sr = r + dy;
                    for (int col = 0; col < d.width(); col++) {
                        int sc = (flip ? d.width() - 1 - col : col) + dx;
                        // outside the image is the zero padding (black), normalised like any pixel
                        float v = sr < 0 || sr >= d.height() || sc < 0 || sc >= d.width() ? 0f
                                : (p[c * plane + sr * d.width() + sc] & 0xff) / 255f;
                        x[off + c * plane + r * d.width() + col] = (v - mean) * scale;
                    }
                }
            }
            if (labelValue != 0) {
                y[i * classes + e.label()] = labelValue;
            }
        }
        // NCHW, the layout every network of protospark takes (the rows are CHW already)
        INDArray features = Nd4j.create(x, new long[]{n, d.channels(), d.height(), d.width()}, DataType.FLOAT);
        INDArray labels = Nd4j.create(y, new long[]{n, classes}, DataType.FLOAT);
        return new DataSet(features, labels);
    }
}
