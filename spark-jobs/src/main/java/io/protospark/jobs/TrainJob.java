package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.jobs.report.ReportJob;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.model.net.ModelSettings;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.spark.api.TrainingHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;

/**
 * {@code protospark train}: validates the training and model settings before Spark starts, then runs the one
 * training loop ({@link TrainLoop}) on the session it is given. The run directory's files are named in
 * {@link TrainLoop} ({@link TrainLoop#METRICS}, {@link TrainLoop#MODEL}, ...). After a run that trained, the run's
 * report is written into {@code <run dir>/report} ({@link ReportJob}; {@code protospark.train.report}); a report that
 * cannot be rendered is logged as a warning and does not fail the run.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    private TrainJob() {
    }

    /**
     * Everything the job needs, validated: training and model settings, the resolved config they came from, and
     * whether the report is written at the end ({@code protospark.train.report}).
     */
    public record Settings(TrainSettings train, ModelSettings model, Config resolved, boolean report) {
        public static Settings from(Config c) {
            TrainSettings t = TrainSettings.from(c);
            ModelSettings m = ModelSettings.from(c);
            t.validate(m);
            return new Settings(t, m, c, Configs.getBoolean(c, "protospark.train.report"));
        }
    }

    public static TrainLoop.Result run(Settings s, SparkSession spark) {
        return run(s, spark, List.of());
    }

    /** {@link #run(Settings, SparkSession)} with more training hooks, run on the workers after the job's own. */
    static TrainLoop.Result run(Settings s, SparkSession spark, List<TrainingHook> extraHooks) {
        TrainLoop.Result r = TrainLoop.run(s.train(), s.model(), s.resolved(), spark, extraHooks, List.of(),
                io.protospark.jobs.eval.TrainingEvaluations.of(s.train(), s.model(), spark));
        if (s.report() && !r.alreadyComplete()) {
            report(r.runDir(), spark);
        }
        return r;
    }

    /** Writes the run's report; a failure is a warning, the trained run stands. */
    private static void report(java.net.URI runDir, SparkSession spark) {
        try {
            ReportJob.Result rep = ReportJob.run(new ReportJob.Settings(runDir, null),
                    spark.sparkContext().hadoopConfiguration());
            LOG.info("report {} ({} charts) in {} s", rep.html(), rep.charts(),
                    String.format(Locale.ROOT, "%.1f", rep.seconds()));
        } catch (RuntimeException | LinkageError | java.awt.AWTError e) {
            LOG.warn("the run in {} is complete, but its report could not be written (protospark report --run-dir "
                    + "{} tries again): {}", runDir, runDir, e.toString(), e);
        }
    }
}
