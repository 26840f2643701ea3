/**
 * Evaluation metrics defined exactly as the reference tools define them, so that every number can be recomputed
 * with the reference Python code: top-k accuracy, confusion matrix, balanced accuracy, expected calibration error
 * and long-tail group accuracy ({@link io.protospark.metrics.ClosedSetMetrics}, following scikit-learn and Guo et
 * al. 2017), AUROC and the ROC curve ({@link io.protospark.metrics.Auroc}, scikit-learn), the open-set
 * classification rate ({@link io.protospark.metrics.Oscr}, ARPL's {@code compute_oscr}) and face-verification
 * accuracy and TAR@FAR ({@link io.protospark.metrics.Verification}, InsightFace's {@code verification.py}).
 *
 * <p>Inputs are plain arrays; every bad input (mismatched lengths, empty arrays, NaN scores, {@code k < 1}, labels
 * out of range, an odd number of interleaved embeddings, ...) throws {@link java.lang.IllegalArgumentException}
 * naming the argument and what was expected. Results are immutable records with a {@code toMap()} (snake_case
 * keys, NaN written as {@code null}) for JSON output. Where a reference's result depends on the order of ties or on
 * floating-point order, the class documentation says which order is used here. Plain JVM.
 */
package io.protospark.metrics;
