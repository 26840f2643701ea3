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

    /** Minibatches of at most {@code batchSize} examples per partition, decoded to float. */
    static JavaRDD<DataSet> batches(JavaRDD<Example> examples, int batchSize, int classes) {
        return examples.mapPartitions(it -> new BatchIterator(it, batchSize, classes));
    }

    /** Decodes examples into DataSets lazily, one minibatch at a time. */
    static final class BatchIterator implements Iterator<DataSet> {
        private final Iterator<Example> source;
        private final int batchSize;
        private final int classes;

        BatchIterator(Iterator<Example> source, int batchSize, int classes) {
            this.source = source;
            this.batchSize = batchSize;
            this.classes = classes;
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
            return toDataSet(batch, classes);
        }
    }

    static DataSet toDataSet(List<Example> batch, int classes) {
        int n = batch.size();
        int size = batch.get(0).pixels().length;
        float[] x = new float[n * size];
        float[] y = new float[n * classes];
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            if (e.pixels().length != size) {
                throw new IllegalStateException("example with label " + e.label() + " has " + e.pixels().length
                        + " pixel bytes, others have " + size);
            }
            if (e.label() < 0 || e.label() >= classes) {
                throw new IllegalStateException("label " + e.label() + " outside [0, " + classes + ")");
            }
            byte[] p = e.pixels();
            int off = i * size;
            for (int j = 0; j < size; j++) {
                x[off + j] = (p[j] & 0xff) / 255f;
            }
            y[i * classes + e.label()] = 1f;
        }
        INDArray features = Nd4j.create(x, new long[]{n, size}, DataType.FLOAT);
        INDArray labels = Nd4j.create(y, new long[]{n, classes}, DataType.FLOAT);
        return new DataSet(features, labels);
    }
}
