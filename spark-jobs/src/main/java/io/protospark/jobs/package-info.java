/**
 * The commands of protospark ({@code prepare}, {@code train}, {@code validate}, {@code assign},
 * {@code prototypes}, {@code bench}): {@link io.protospark.jobs.Main}, the command line, and one class per command.
 * Each command is a thin {@code main} over a {@code run(settings)} that returns a result, so tests call it.
 *
 * <p>Packages below it, which never depend back on these entry points:
 * {@code io.protospark.jobs.train} (the one training loop and its hooks, passes and run directory),
 * {@code io.protospark.jobs.spark} (Spark plumbing: sessions, broadcast networks, executor-side candidates),
 * {@code io.protospark.jobs.examples} (decoding and augmenting minibatches, without Spark) and
 * {@code io.protospark.jobs.common}.
 */
package io.protospark.jobs;
