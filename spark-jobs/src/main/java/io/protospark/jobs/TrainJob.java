package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.model.net.ModelSettings;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.spark.api.TrainingHook;

import java.util.List;

/**
 * {@code protospark train}: validates the training and model settings before Spark starts, then runs the one
 * training loop ({@link TrainLoop}) on the session it is given. The run directory's files are named in
 * {@link TrainLoop} ({@link TrainLoop#METRICS}, {@link TrainLoop#MODEL}, ...).
 */
public final class TrainJob {
    private TrainJob() {
    }

    /** Everything the job needs, validated: training and model settings, and the resolved config they came from. */
    public record Settings(TrainSettings train, ModelSettings model, Config resolved) {
        public static Settings from(Config c) {
            TrainSettings t = TrainSettings.from(c);
            ModelSettings m = ModelSettings.from(c);
            t.validate(m);
            return new Settings(t, m, c);
        }
    }

    public static TrainLoop.Result run(Settings s, SparkSession spark) {
        return run(s, spark, List.of());
    }

    /** {@link #run(Settings, SparkSession)} with more training hooks, run on the workers after the job's own. */
    static TrainLoop.Result run(Settings s, SparkSession spark, List<TrainingHook> extraHooks) {
        return TrainLoop.run(s.train(), s.model(), s.resolved(), spark, extraHooks, List.of(),
                io.protospark.jobs.eval.TrainingEvaluations.of(s.train(), s.model(), spark));
    }
}
