package io.protospark.jobs.train;

import java.util.Locale;

/**
 * How many training workers fit one local-mode JVM, from {@code train.worker-memory}: what one worker's training needs
 * in that JVM (its network, updater state, workspaces, and its share of the driver's copies) against ND4J's physical
 * memory limit ({@code -Dorg.bytedeco.javacpp.maxphysicalbytes}, which the launcher sizes to the machine).
 *
 * <p>Local mode runs every worker in one process, so a configuration that trains on a cluster with one worker per
 * executor can run out of memory on one machine with a worker per core. With {@code train.workers = 0} (one per core)
 * the count is lowered to what fits and the choice is logged; an explicit {@code train.workers} is kept, with a
 * warning when it does not fit. On a cluster each executor has its own memory and nothing changes here.
 */
final class LocalWorkers {
    private LocalWorkers() {
    }

    /**
     * The decision: the workers to train with, and the line to log (empty when there is nothing to say).
     *
     * @param workers the count to train with
     * @param message what was decided and why, for the log ("" = nothing changed and nothing to warn about)
     * @param warning whether the message is a warning (an explicit count that does not fit)
     */
    record Choice(int workers, String message, boolean warning) {
    }

    /**
     * @param requested     {@code train.workers} (0 = Spark's default parallelism)
     * @param parallelism   Spark's default parallelism (the local master's cores)
     * @param local         whether the master is local
     * @param workerMemory  {@code train.worker-memory} in bytes (0 = not declared)
     * @param physicalLimit ND4J's physical-bytes limit of this JVM (0 or less = unknown)
     */
    static Choice choose(int requested, int parallelism, boolean local, long workerMemory, long physicalLimit) {
        int wanted = requested > 0 ? requested : parallelism;
        if (!local || workerMemory <= 0 || physicalLimit <= 0) {
            return new Choice(wanted, "", false);
        }
        int fit = (int) Math.max(1, Math.min(Integer.MAX_VALUE, physicalLimit / workerMemory));
        if (wanted <= fit) {
            return new Choice(wanted, "", false);
        }
        String limits = String.format(Locale.ROOT, "train.worker-memory = %s per worker and ND4J's physical limit "
                + "%s (PROTOSPARK_OFFHEAP) fit %d worker%s in this local-mode JVM", gib(workerMemory),
                gib(physicalLimit), fit, fit == 1 ? "" : "s");
        if (requested > 0) {
            return new Choice(requested, "train.workers = " + requested + " may run out of memory: " + limits
                    + "; set train.workers=" + fit + " or raise PROTOSPARK_OFFHEAP", true);
        }
        return new Choice(fit, "training with " + fit + " worker" + (fit == 1 ? "" : "s") + " instead of one per "
                + "core (" + parallelism + "): " + limits + "; each worker uses the cores left free (set train.workers "
                + "to choose)", false);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
