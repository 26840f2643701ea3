package io.protospark.jobs.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A plain Spark application (no protospark code, no dependencies beyond Spark) that {@link StandaloneClusterIT}
 * packs into a tiny jar and submits: it checks the cluster itself and that the Maven-built Spark home is a working
 * Spark runtime on its own (driver and executors see only spark-home/jars and this jar).
 *
 * <p>Arguments: {@code EXECUTORS OUTPUT_DIR}. Waits until {@code EXECUTORS} executors registered, runs tasks that
 * report {@code executorId@pid}, a shuffle (group-by) and a Parquet write and read-back, and prints
 * {@code PROBE ...} lines the test parses.
 */
public final class ClusterProbe {

    private ClusterProbe() {
    }

    public static void main(String[] args) throws Exception {
        int executors = Integer.parseInt(args[0]);
        String output = args[1];
        SparkSession spark = SparkSession.builder().appName("protospark-cluster-probe").getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            long deadline = System.nanoTime() + 120_000_000_000L;
            // getExecutorInfos includes the driver
            while (sc.sc().statusTracker().getExecutorInfos().length < executors + 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + (sc.sc().statusTracker().getExecutorInfos().length - 1)
                            + " of " + executors + " executors registered within 120 s");
                }
                Thread.sleep(200);
            }
            System.out.println("PROBE app=" + sc.sc().applicationId());

            List<Integer> tasks = IntStream.range(0, 4 * executors).boxed().collect(Collectors.toList());
            List<String> where = sc.parallelize(tasks, tasks.size()).map(i -> {
                Thread.sleep(500); // keeps a core busy so the scheduler spreads the tasks
                return SparkEnv.get().executorId() + "@" + ProcessHandle.current().pid();
            }).distinct().collect();
            for (String w : new ArrayList<>(where)) {
                System.out.println("PROBE executor=" + w);
            }

            Dataset<Row> counts = spark.range(0, 10_000, 1, 8).selectExpr("id % 7 AS k").groupBy("k").count();
            counts.write().mode("overwrite").parquet(output);
            long total = spark.read().parquet(output).selectExpr("sum(count)").first().getLong(0);
            long groups = spark.read().parquet(output).count();
            System.out.println("PROBE parquet groups=" + groups + " total=" + total);
        } finally {
            spark.stop();
        }
    }
}
