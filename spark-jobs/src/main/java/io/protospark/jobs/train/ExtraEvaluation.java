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
    /** The set's name, the prefix of its metrics. */
    String name();

    /** The metrics of {@code net} on this set, by name without the prefix (NaN where undefined). */
    Map<String, Double> evaluate(JavaSparkContext jsc, ComputationGraph net);
}
