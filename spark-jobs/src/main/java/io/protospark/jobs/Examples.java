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

    /** Minibatches of at most {@code batchSize} examples per partition, decoded to float without augmentation. */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, int batchSize, int classes, Decoding decoding) {
        return batches(examples, batchSize, classes, decoding.withoutAugmentation(), 0L);
    }

    /** Minibatches of at most {@code batchSize} examples per partition, decoded (and augmented with {@code seed}). */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, int batchSize, int classes, Decoding decoding,
                                    long seed) {
        return examples.mapPartitionsWithIndex((idx, it) -> new BatchIterator(it, batchSize, classes, decoding,
                decoding.augments() ? new Random(seed * 1_000_003L + idx * 104_729L + 17) : null), true);
    }

    /** Decodes examples into DataSets lazily, one minibatch at a time. */
    static final class BatchIterator implements Iterator<DataSet> {
        private final Iterator<Example> source;
        private final int batchSize;
        private final int classes;
        private final Decoding decoding;
        private final Random random;

        BatchIterator(Iterator<Example> source, int batchSize, int classes, Decoding decoding, Random random) {
            this.source = source;
            this.batchSize = batchSize;
            this.classes = classes;
            this.decoding = decoding;
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
            return toDataSet(batch, classes, decoding, random);
        }
    }

    /** One minibatch; {@code random} draws the augmentation (null = none). */
    static DataSet toDataSet(List<Example> batch, int classes, Decoding d, Random random) {
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
            if (e.label() < 0 || e.label() >= classes) {
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
            y[i * classes + e.label()] = 1f;
        }
        // NCHW, the layout every network of protospark takes (the rows are CHW already)
        INDArray features = Nd4j.create(x, new long[]{n, d.channels(), d.height(), d.width()}, DataType.FLOAT);
        INDArray labels = Nd4j.create(y, new long[]{n, classes}, DataType.FLOAT);
        return new DataSet(features, labels);
    }
}
