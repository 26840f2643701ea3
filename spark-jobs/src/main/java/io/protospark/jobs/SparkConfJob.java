package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.config.SettingsException;
import io.protospark.jobs.spark.Gpus;
import io.protospark.jobs.train.TrainSettings;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code protospark spark-conf}: the Spark settings a job of this configuration needs when it is submitted, one
 * {@code KEY=VALUE} per line; no Spark. The launcher runs it for a non-local master and passes each line to
 * spark-submit as {@code --conf} (an explicit {@code --spark-conf} wins): settings such as the Kubernetes image, pod
 * templates or executor GPUs act before the driver starts, too early for the job's own session to set them.
 *
 * <p>The lines are the {@code protospark.spark} block, then what {@code protospark.train.gpus-per-worker} implies
 * ({@link Gpus#sparkConf}) unless the block sets those keys itself.
 */
public final class SparkConfJob {
    private SparkConfJob() {
    }

    /** The settings for a job submitted to {@code master} ({@code null}: local). */
    public static Map<String, String> resolve(Config config, String master) {
        Map<String, String> conf = new LinkedHashMap<>(TrainSettings.sparkConfOf(config));
        Gpus.sparkConf(Gpus.perWorker(config), master, Gpus.discoveryScriptBeside(jobJar())).forEach(conf::putIfAbsent);
        conf.forEach((k, v) -> {
            if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
                throw new SettingsException("protospark.spark.\"" + k + "\"", "must be one line", v,
                        "a value without line breaks (spark-submit takes it as one --conf argument)");
            }
        });
        return conf;
    }

    /** {@link #resolve} as {@code KEY=VALUE} lines. */
    public static List<String> lines(Config config, String master) {
        return resolve(config, master).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /** Where this class was loaded from: the job jar, or target/classes in a build. */
    private static Path jobJar() {
        try {
            return Path.of(SparkConfJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception | Error e) {
            return Path.of("/opt/protospark/spark-jobs/target/protospark-job.jar");
        }
    }
}
