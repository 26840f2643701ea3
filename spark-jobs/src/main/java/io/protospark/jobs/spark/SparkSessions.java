package io.protospark.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/** Creates the Spark session of a job with protospark's defaults, never overriding what spark-submit set. */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * @param master    master to use when spark-submit did not set one ({@code null}: {@code local[*]})
     * @param sparkConf extra settings from {@code protospark.spark}
     */
    public static SparkSession create(String appName, String master, Map<String, String> sparkConf) {
        SparkConf conf = new SparkConf();
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        conf.setIfMissing("spark.app.name", appName);
        // Java serialisation (Spark's default) is kept on purpose: Spark's Kryo 4 cannot serialise Java records,
        // which the jobs use for examples and task ranges. Kryo may still be set through protospark.spark.
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        sparkConf.forEach(conf::setIfMissing);
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
