package io.protospark.jobs.train;

import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.Map;

/**
 * One set of {@code protospark.train.eval.sets}, scored after the epochs {@code train.eval.every} names: its metrics
 * go into {@code metrics.jsonl} as {@code <name>.<metric>} and may be the checkpoint monitor. The {@code train}
 * command builds them (the same scoring and metric code as {@code evaluate}, so the numbers are the same for the same
 * model and data); the loop only calls them.
 */
public interface ExtraEvaluation {
    /**
     * With one or more face-verification sets, the mean of their {@code <name>.accuracy} after each evaluation, also in
     * {@code metrics.jsonl} and a possible checkpoint monitor (the face recipes pick their best epoch by it).
     */
    String MEAN_VERIFICATION_ACCURACY = "verification.mean_accuracy";

    /** The set's name, the prefix of its metrics. */
    String name();

    /** Whether the set is face-verification pairs (it then reports {@code accuracy}, averaged over such sets). */
    default boolean verification() {
        return false;
    }

    /**
     * The mean of {@code <name>.accuracy} over the verification sets among {@code sets}, read from {@code metrics}
     * (prefixed names); empty without verification sets.
     */
    static java.util.OptionalDouble meanVerificationAccuracy(java.util.List<ExtraEvaluation> sets,
                                                             Map<String, Double> metrics) {
        return sets.stream().filter(ExtraEvaluation::verification)
                .mapToDouble(x -> metrics.get(x.name() + ".accuracy")).average();
    }

    /** The metrics of {@code net} on this set, by name without the prefix (NaN where undefined). */
    Map<String, Double> evaluate(JavaSparkContext jsc, ComputationGraph net);
}
