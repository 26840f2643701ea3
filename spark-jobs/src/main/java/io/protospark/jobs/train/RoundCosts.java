package io.protospark.jobs.train;

import org.deeplearning4j.spark.api.stats.CommonSparkTrainingStats;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.stats.ParameterAveragingTrainingMasterStats;
import org.deeplearning4j.spark.stats.EventStats;
import org.deeplearning4j.spark.time.SystemClockTimeSource;
import org.deeplearning4j.spark.time.TimeSourceProvider;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one epoch's averaging rounds cost, phase by phase, from DL4J's own training statistics
 * ({@code collectTrainingStats}) plus the driver's work around each {@code fit} that DL4J does not time. Each round
 * is one {@code fit}, which DL4J runs as one split: a {@code count} job over the round's minibatches, the broadcast
 * of the parameters, one Spark job whose {@code treeAggregate} trains every worker's share and sums their results,
 * and the division and re-application of the averaged parameters and updater state on the driver.
 * <ul>
 * <li>{@code broadcast_ms}: {@code sc.broadcast} of configuration, parameters and updater state on the driver
 * (DL4J's BroadcastCreateTimesMs); executors fetch it inside their task, so that part is in {@code worker_ms}.</li>
 * <li>{@code count_ms}: DL4J's count of the round's minibatches, a Spark job of its own (CountRddSizeTimesMs).</li>
 * <li>{@code job_ms}: the training job, from its submission until the driver holds the summed result
 * (AggregateTimesMs: the {@code treeAggregate} runs the workers).</li>
 * <li>{@code worker_ms}: each worker task's time inside DL4J (WorkerFlatMapTotalTimeMs: the broadcast's value, the
 * network's construction, its minibatches, its result); per round the slowest gives {@code slowest_worker_ms} and the
 * spread between slowest and fastest {@code straggler_ms}.</li>
 * <li>{@code job_overhead_ms}: {@code job_ms} minus the slowest worker: scheduling, task launch, moving the results
 * and the aggregation tree.</li>
 * <li>{@code average_ms}: dividing the sums and setting parameters and updater state on the driver
 * (ProcessParamsUpdaterTimesMs).</li>
 * <li>{@code driver_ms}: protospark's own driver work after each fit (class-memory merge, iteration count, CoMHE
 * projections, the finiteness check).</li>
 * <li>{@code round_ms}: the whole round as the driver's loop sees it.</li>
 * </ul>
 * DL4J's times are whole milliseconds (its clock is {@code currentTimeMillis}); the driver's own are from
 * {@code nanoTime}.
 */
final class RoundCosts {
    /** DL4J's stats read the clock through this property; its default asks an NTP server (0.pool.ntp.org). */
    private static final String TIME_SOURCE = TimeSourceProvider.TIMESOURCE_CLASSNAME_PROPERTY;

    private final ParameterAveragingTrainingMaster master;
    private final RoundBytes bytes;
    private final int workers;
    private final java.util.function.IntSupplier executorCount;
    private int executors;
    private final List<Round> rounds = new ArrayList<>();
    private int minibatchesPerWorker;
    private double reapplyMs;

    /** One round: DL4J's phases (ms), the worker task times (ms), and the driver's own (ms). */
    record Round(double round, double driver, double broadcast, double count, double job, double average,
                 double[] workerTimes) {
        double slowest() {
            return workerTimes.length == 0 ? 0 : Arrays.stream(workerTimes).max().orElse(0);
        }

        double spread() {
            return workerTimes.length == 0 ? 0 : slowest() - Arrays.stream(workerTimes).min().orElse(0);
        }
    }

    /** {@code executors}: the executors the broadcast goes to, asked at the start of every epoch. */
    RoundCosts(ParameterAveragingTrainingMaster master, RoundBytes bytes, int workers,
               java.util.function.IntSupplier executors) {
        this.master = master;
        this.bytes = bytes;
        this.workers = workers;
        this.executorCount = executors;
    }

    /**
     * The local clock for DL4J's training statistics in this JVM, unless one was configured: its default time source
     * queries an NTP server, which on a machine without internet access costs seconds of timeouts per JVM. Called on
     * the driver before the master is built and in every worker task before DL4J's (see {@link Epochs}).
     */
    static void localClock() {
        if (System.getProperty(TIME_SOURCE) == null) {
            System.setProperty(TIME_SOURCE, SystemClockTimeSource.class.getName());
        }
    }

    /** Forgets the previous epoch's rounds; {@code minibatches} is the longest worker share of this epoch. */
    void begin(int minibatches) {
        rounds.clear();
        minibatchesPerWorker = minibatches;
        executors = executorCount.getAsInt();
        reapplyMs = 0;
        restart();
    }

    /** Takes DL4J's statistics of the round that just ended (and restarts them) with the driver's own times. */
    void roundEnded(long roundNanos, long driverNanos) {
        SparkTrainingStats s = master.getTrainingStats();
        restart();
        double broadcast = 0;
        double count = 0;
        double job = 0;
        double average = 0;
        double[] worker = new double[0];
        if (s instanceof ParameterAveragingTrainingMasterStats m) {
            broadcast = sum(m.getParameterAveragingMasterBroadcastCreateTimesMs());
            count = sum(m.getParameterAveragingMasterCountRddSizeTimesMs());
            job = sum(m.getParamaterAveragingMasterAggregateTimesMs());
            average = sum(m.getParameterAveragingMasterProcessParamsUpdaterTimesMs());
            if (m.getWorkerStats() instanceof CommonSparkTrainingStats w && w.getWorkerFlatMapTotalTimeMs() != null) {
                worker = w.getWorkerFlatMapTotalTimeMs().stream().mapToDouble(EventStats::getDurationMs).toArray();
            }
        }
        rounds.add(new Round(roundNanos / 1e6, driverNanos / 1e6, broadcast, count, job, average, worker));
    }

    /** The driver's re-application of the fixed prototypes after the epoch's rounds. */
    void reapplied(long nanos) {
        reapplyMs = nanos / 1e6;
    }

    private void restart() {
        master.setCollectTrainingStats(false);
        master.setCollectTrainingStats(true);
    }

    private static double sum(List<EventStats> events) {
        return events == null ? 0 : events.stream().mapToLong(EventStats::getDurationMs).sum();
    }

    int count() {
        return rounds.size();
    }

    /** The {@code rounds} object of a {@code metrics.jsonl} line. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", rounds.size());
        m.put("workers", workers);
        m.put("executors", executors);
        m.put("minibatches_per_worker", minibatchesPerWorker);
        m.put("aggregation_depth", master.getAggregationDepth());
        m.put("bytes_out_per_round", bytes.broadcast() * executors);
        m.put("bytes_back_per_round", bytes.resultPerWorker() * workers);
        m.put("round_ms", phase(Round::round));
        m.put("broadcast_ms", phase(Round::broadcast));
        m.put("count_ms", phase(Round::count));
        m.put("job_ms", phase(Round::job));
        m.put("slowest_worker_ms", phase(Round::slowest));
        m.put("straggler_ms", phase(Round::spread));
        m.put("job_overhead_ms", phase(r -> Math.max(0, r.job() - r.slowest())));
        m.put("average_ms", phase(Round::average));
        m.put("driver_ms", phase(Round::driver));
        double[] all = rounds.stream().flatMapToDouble(r -> Arrays.stream(r.workerTimes())).sorted().toArray();
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("tasks", all.length);
        w.put("min", all.length == 0 ? 0 : all[0]);
        w.put("median", median(all));
        w.put("max", all.length == 0 ? 0 : all[all.length - 1]);
        m.put("worker_ms", w);
        m.put("reapply_ms", reapplyMs);
        return m;
    }

    private Map<String, Object> phase(java.util.function.ToDoubleFunction<Round> f) {
        double[] v = rounds.stream().mapToDouble(f).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sum", Arrays.stream(v).sum());
        m.put("median", median(v));
        m.put("max", v.length == 0 ? 0 : v[v.length - 1]);
        return m;
    }

    /** The median of sorted values (0 for none). */
    static double median(double[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return 0;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** One line: the epoch's round count and each phase's total, for the log. */
    String summary() {
        double[] all = rounds.stream().flatMapToDouble(r -> Arrays.stream(r.workerTimes())).sorted().toArray();
        return String.format(Locale.ROOT, "%d rounds of up to %d minibatches per worker: round %.0f ms = count %.0f + "
                        + "broadcast %.0f + job %.0f (slowest worker %.0f, stragglers %.0f, overhead %.0f) + "
                        + "averaging %.0f + driver %.0f + rest %.0f; worker task min/median/max %.0f/%.0f/%.0f ms; "
                        + "re-applying the prototypes %.1f ms; per round %d bytes out, %d back (aggregation depth %d)",
                rounds.size(), master.getAveragingFrequency(), total(Round::round), total(Round::count),
                total(Round::broadcast), total(Round::job), total(Round::slowest), total(Round::spread),
                total(r -> Math.max(0, r.job() - r.slowest())), total(Round::average), total(Round::driver),
                total(r -> r.round() - r.count() - r.broadcast() - r.job() - r.average() - r.driver()),
                all.length == 0 ? 0 : all[0], median(all), all.length == 0 ? 0 : all[all.length - 1], reapplyMs,
                bytes.broadcast() * executors, bytes.resultPerWorker() * workers, master.getAggregationDepth());
    }

    private double total(java.util.function.ToDoubleFunction<Round> f) {
        return rounds.stream().mapToDouble(f).sum();
    }
}
