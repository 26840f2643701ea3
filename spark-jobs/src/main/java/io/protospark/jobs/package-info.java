/**
 * The Spark entry points of protospark ({@code prepare}, {@code train}, {@code validate}) and the one training
 * loop. Each command is a thin {@code main} over a {@code run(settings)} that returns a result, so tests call it.
 */
package io.protospark.jobs;
