package io.protospark.jobs.spark;

import io.protospark.model.targets.HadoopConfigurationSource;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * The Hadoop configuration of the Spark application running in this JVM (driver or executor): the
 * {@code *-site.xml} files on the classpath plus every {@code spark.hadoop.*} setting, as Spark's own file access
 * sees it. Registered for {@link io.protospark.model.targets.TargetsStore}, so an executor reads a targets file with
 * the same credentials the job's data is read with. Outside a Spark application it does not answer.
 */
public final class SparkHadoopConfiguration implements HadoopConfigurationSource {
    @Override
    public Configuration configuration() {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return null;
        }
        Configuration c = new Configuration();
        for (Tuple2<String, String> e : env.conf().getAllWithPrefix("spark.hadoop.")) {
            c.set(e._1(), e._2());
        }
        return c;
    }
}
