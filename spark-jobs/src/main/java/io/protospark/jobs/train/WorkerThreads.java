package io.protospark.jobs.train;

import org.apache.spark.SparkConf;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Native thread counts of the training workers, so that the workers of one executor do not oversubscribe its cores.
 *
 * <p>Every DL4J worker is one Spark task; by default ND4J sizes its thread pools and OpenMP to all the machine's
 * cores, so {@code local[2]} on two cores runs 2 workers × 2 native threads. As a {@link TrainingHook} this sets the
 * count on each worker's training thread before its first minibatch (OpenMP's thread count is a per-thread setting).
 */
public final class WorkerThreads implements TrainingHook {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<Integer> APPLIED = new ThreadLocal<>();

    private final int threads;

    WorkerThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads per worker must be >= 1, got " + threads);
        }
        this.threads = threads;
    }

    int threads() {
        return threads;
    }

    /**
     * Threads per worker when {@code train.threads-per-worker} is 0: the cores of a task ({@code spark.task.cpus}) on
     * a cluster; in local mode the machine's cores shared by the workers that run at once.
     */
    static int auto(SparkConf conf, int workers) {
        String master = conf.get("spark.master", "local[*]");
        if (master.startsWith("local")) {
            int cores = Runtime.getRuntime().availableProcessors();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?]").matcher(master);
            int slots = m.matches() ? Integer.parseInt(m.group(1)) : master.equals("local") ? 1 : cores;
            int concurrent = Math.max(1, Math.min(workers, slots));
            return Math.max(1, cores / concurrent);
        }
        return Math.max(1, conf.getInt("spark.task.cpus", 1));
    }

    /** Sets ND4J's and OpenMP's thread counts for the calling thread (and ND4J's process-wide pools). */
    public static void apply(int threads) {
        Nd4j.getExecutioner(); // loads the backend; NativeOpsHolder alone fails before it
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    private void once() {
        Integer done = APPLIED.get();
        if (done == null || done != threads) {
            apply(threads);
            APPLIED.set(threads);
        }
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        once();
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        once();
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
