package io.protospark.jobs.spark;

import io.protospark.data.shard.ShardRows;
import io.protospark.data.shard.ShardSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.Collections;
import java.util.List;

/**
 * A split's rows as an RDD read by the executors straight from the shard files ({@link ShardRows}): one partition
 * per row range, in file order, so each partition's rows are sorted by id and the same in every run, with no
 * shuffle and no Spark SQL query to plan (training reads its splits this way, and so do the evaluation and
 * embedding passes).
 */
public final class ShardRdds {
    private ShardRdds() {
    }

    /**
     * The values of {@code columns} for every row of {@code split}, in at least {@code parts} partitions when it has
     * that many rows ({@link ShardRows#plan(ShardSet, String, int, Configuration)}).
     */
    public static JavaRDD<Object[]> rows(JavaSparkContext jsc, ShardSet shards, String split, int parts,
                                         String... columns) {
        return rows(jsc, ShardRows.plan(shards, split, parts, jsc.hadoopConfiguration()), columns);
    }

    /** The values of {@code columns} for the rows of {@code plan}, one partition per range, in the plan's order. */
    public static JavaRDD<Object[]> rows(JavaSparkContext jsc, List<ShardRows.Range> plan, String... columns) {
        return jsc.parallelize(plan, Math.max(1, plan.size())).mapPartitions(it -> {
            if (!it.hasNext()) {
                return Collections.emptyIterator();
            }
            ShardRows.Range range = it.next();
            Configuration conf = new SparkHadoopConfiguration().configuration();
            ShardRows rows = ShardRows.open(range, conf != null ? conf : new Configuration(), columns);
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> rows.close());
            }
            return rows;
        });
    }
}
