package io.protospark.data.testing;

import io.protospark.data.shard.ShardSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * Base of the prepare tests: one local Spark session for the whole test class ({@code local[2]}, no UI, two shuffle
 * partitions, named after the class), stopped after it, and reading a prepared data set back.
 */
public abstract class LocalSparkTest {
    /** The session of the running test class. */
    protected static SparkSession spark;

    @BeforeAll
    static void startSpark(TestInfo info) {
        spark = SparkSession.builder().master("local[2]")
                .appName(info.getTestClass().map(Class::getSimpleName).orElse("prepare-test"))
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
            spark = null;
        }
    }

    /** The session's Hadoop configuration. */
    protected static Configuration hadoop() {
        return spark.sparkContext().hadoopConfiguration();
    }

    /** The prepared data set published at {@code out}. */
    protected static ShardSet shards(Path out) {
        return ShardSet.open(out.toUri(), hadoop());
    }

    /** Every row of {@code split}, ordered by id. */
    protected static List<Row> rows(ShardSet shards, String split) {
        return spark.read().parquet(shards.parquetPaths(split)).collectAsList().stream()
                .sorted(Comparator.comparingLong(r -> r.getLong(0))).toList();
    }

    /** Every row of {@code split} of the data set published at {@code out}, ordered by id. */
    protected static List<Row> rows(Path out, String split) {
        return rows(shards(out), split);
    }
}
