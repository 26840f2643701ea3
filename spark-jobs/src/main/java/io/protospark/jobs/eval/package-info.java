/**
 * The commands that read a trained model: {@code evaluate} ({@link io.protospark.jobs.eval.EvaluateJob}), with the
 * executors' scoring pass in {@code Scoring}. The metric definitions are in {@code io.protospark.metrics} (common).
 */
package io.protospark.jobs.eval;
