package io.protospark.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Creates the Spark session of a job with protospark's defaults, never overriding what spark-submit set. */
public final class SparkSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);
    private static final Pattern MAXBYTES = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.maxbytes=(\\S+)");

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
        containerOverhead(conf);
        ClusterAuth.prepare(conf, System::getenv);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        SparkContext sc = spark.sparkContext();
        LOG.info("Spark application {} on {} (deploy mode {})", sc.applicationId(), sc.master(), sc.deployMode());
        return spark;
    }

    /**
     * On YARN and Kubernetes, where a container that outgrows its heap + {@code spark.executor.memoryOverhead} is
     * killed: when the overhead is not set, it becomes the executors' ND4J limit ({@code -Dorg.bytedeco.javacpp.maxbytes}
     * in {@code spark.executor.extraJavaOptions}, as the launcher passes it) plus 512 MiB for the JVM's own native
     * memory. ND4J's arrays live outside the heap, so Spark's default (a tenth of the heap) would not hold them.
     */
    static void containerOverhead(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if (!(master.equals("yarn") || master.startsWith("k8s://")) || conf.contains("spark.executor.memoryOverhead")) {
            return;
        }
        Matcher m = MAXBYTES.matcher(conf.get("spark.executor.extraJavaOptions", ""));
        if (m.find()) {
            long mib = org.apache.spark.network.util.JavaUtils.byteStringAsMb(m.group(1)) + 512;
            conf.set("spark.executor.memoryOverhead", mib + "m");
            LOG.info("spark.executor.memoryOverhead = {}m: the executors' ND4J limit ({}) + 512 MiB", mib, m.group(1));
        }
    }
}
