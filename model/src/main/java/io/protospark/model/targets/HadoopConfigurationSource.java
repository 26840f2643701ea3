package io.protospark.model.targets;

import org.apache.hadoop.conf.Configuration;

/**
 * Where {@link TargetsStore} gets the Hadoop configuration to open a targets file with. Implementations are found
 * with {@link java.util.ServiceLoader} ({@code META-INF/services}); the first that answers wins. spark-jobs
 * provides one that adds the running Spark application's {@code spark.hadoop.*} settings (credentials of
 * {@code s3a:} and the like), which an executor's plain {@code new Configuration()} would not see. Without one,
 * or when none answers, {@code new Configuration()} (the {@code *-site.xml} files on the classpath) is used.
 */
public interface HadoopConfigurationSource {
    /** The configuration to use in this JVM, or null to let the next source (or the default) answer. */
    Configuration configuration();
}
