package io.protospark.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Scaling of the main job on a real standalone cluster: {@code conf/fashion-mnist.conf} on real Fashion-MNIST, first
 * on one worker (one executor of one core), then on two (two executors of one core each), with the same minibatch
 * per worker. Prints train img/s of the last epoch (fit time only, {@code metrics.jsonl}), the scaling efficiency
 * (img/s with 2 / (2 × img/s with 1)) and each run's {@code rounds} breakdown.
 *
 * <p>A benchmark, not a test: its name matches neither Surefire's nor Failsafe's patterns, so CI does not run it.
 * {@code bench/rounds.sh} runs it through Failsafe (which sets the job jar and Spark home). Inputs, as system
 * properties: {@code rounds.input} (the IDX files, default /usr/share/datasets/fashion-mnist), {@code rounds.examples}
 * (training examples per epoch, default 20000), {@code rounds.epochs} (default 2), {@code rounds.overrides}
 * (further {@code path=value} settings, space-separated). Besides the summary it prints each run's metrics lines and
 * the driver's per-epoch averaging line with its time ({@code N executor(s) log: ...}).
 */
class RoundCostsBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void oneThenTwoExecutors() throws Exception {
        String input = System.getProperty("rounds.input", "/usr/share/datasets/fashion-mnist");
        String examples = System.getProperty("rounds.examples", "20000");
        String epochs = System.getProperty("rounds.epochs", "2");
        String overrides = System.getProperty("rounds.overrides", "").trim();
        Path data = null;
        JsonNode[] last = new JsonNode[3];
        for (int workers = 1; workers <= 2; workers++) {
            try (StandaloneCluster cluster = StandaloneCluster.builder().workers(workers).coresPerWorker(1)
                    .secret(StandaloneCluster.randomSecret()).start()) {
                if (data == null) {
                    data = cluster.dir().resolveSibling("rounds-data-" + System.currentTimeMillis());
                    MainJobOnCluster.prepare(cluster, input, data);
                }
                Path run = cluster.dir().resolve("run-" + workers);
                StandaloneCluster.Result r = MainJobOnCluster.train(cluster, data, run, epochs, examples, overrides,
                        "train.workers=" + workers);
                List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
                last[workers] = JSON.readTree(lines.get(lines.size() - 1));
                System.out.printf(Locale.ROOT, "%d executor(s): %s%n", workers, String.join("\n  ", lines));
                // the driver's per-epoch summary, with its time: when each epoch's rounds ended (bench/scaling_model.py
                // validate matches them with CPU samples)
                for (String line : Files.readAllLines(r.log())) {
                    if (line.contains("TrainLoop: epoch ") && line.contains(" averaging: ")) {
                        System.out.printf(Locale.ROOT, "%d executor(s) log: %s%n", workers, line);
                    }
                }
            }
        }
        double one = last[1].get("train_examples_per_second").asDouble();
        double two = last[2].get("train_examples_per_second").asDouble();
        System.out.printf(Locale.ROOT, "%nmain job, %s examples per epoch, last of %s epochs (train img/s, fit time)%n",
                examples, epochs);
        System.out.printf(Locale.ROOT, "1 executor x 1 core : %8.0f img/s%n", one);
        System.out.printf(Locale.ROOT, "2 executors x 1 core: %8.0f img/s%n", two);
        System.out.printf(Locale.ROOT, "scaling efficiency  : %8.3f (img/s with 2 / (2 x img/s with 1))%n",
                two / (2 * one));
        for (int w = 1; w <= 2; w++) {
            JsonNode r = last[w].get("rounds");
            System.out.printf(Locale.ROOT, "%n%d executor(s), %d rounds, %d bytes out and %d back per round, "
                            + "aggregation depth %d, epoch fit %.1f s:%n", w, r.get("count").asInt(),
                    r.get("bytes_out_per_round").asLong(), r.get("bytes_back_per_round").asLong(),
                    r.get("aggregation_depth").asInt(),
                    last[w].get("train_examples").asDouble() / last[w].get("train_examples_per_second").asDouble());
            for (String phase : List.of("round_ms", "count_ms", "broadcast_ms", "job_ms", "slowest_worker_ms",
                    "straggler_ms", "job_overhead_ms", "average_ms", "driver_ms")) {
                JsonNode p = r.get(phase);
                System.out.printf(Locale.ROOT, "  %-18s sum %9.0f  median %7.1f  max %7.1f%n", phase,
                        p.get("sum").asDouble(), p.get("median").asDouble(), p.get("max").asDouble());
            }
            JsonNode wk = r.get("worker_ms");
            System.out.printf(Locale.ROOT, "  %-18s min %7.1f  median %7.1f  max %7.1f  (%d tasks)%n", "worker_ms",
                    wk.get("min").asDouble(), wk.get("median").asDouble(), wk.get("max").asDouble(),
                    wk.get("tasks").asInt());
            System.out.printf(Locale.ROOT, "  %-18s %.1f%n", "reapply_ms", r.get("reapply_ms").asDouble());
        }
    }
}
