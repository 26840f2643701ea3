package io.protospark.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Parameter averaging against gradient sharing ({@code train.master = sharing}) for the main job on a real standalone
 * cluster: {@code conf/fashion-mnist.conf} on real Fashion-MNIST, two executors of one core each, the same epochs,
 * minibatch and examples, runs interleaved (averaging, sharing, averaging, ...) on one cluster. Prints per run the
 * validation accuracy after each epoch, train img/s (fit time, {@code metrics.jsonl}) and the bytes moved per
 * worker minibatch step: for averaging the rounds' broadcast and results, for sharing what the driver's Aeron endpoint
 * (the root of the mesh, through which every update passes on 2 executors) sent and received.
 *
 * <p>A benchmark, not a test: its name matches neither Surefire's nor Failsafe's patterns, so CI does not run it.
 * {@code bench/sharing.sh} runs it through Failsafe. Inputs, as system properties: {@code sharing.input} (the IDX
 * files), {@code sharing.examples} (training examples per epoch, default 20000), {@code sharing.epochs} (default 3),
 * {@code sharing.pairs} (averaging/sharing pairs, default 2), {@code sharing.overrides} (further settings).
 */
class SharingBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void averagingAgainstSharingOnTwoExecutors() throws Exception {
        String input = System.getProperty("sharing.input", "/usr/share/datasets/fashion-mnist");
        String examples = System.getProperty("sharing.examples", "20000");
        String epochs = System.getProperty("sharing.epochs", "3");
        int pairs = Integer.parseInt(System.getProperty("sharing.pairs", "2"));
        String overrides = System.getProperty("sharing.overrides", "").trim();
        List<String> table = new ArrayList<>();
        try (StandaloneCluster cluster = StandaloneCluster.builder().workers(2).coresPerWorker(1)
                .secret(StandaloneCluster.randomSecret()).start()) {
            Path data = cluster.dir().resolveSibling("sharing-data-" + System.currentTimeMillis());
            MainJobOnCluster.prepare(cluster, input, data);
            for (int i = 0; i < 2 * pairs; i++) {
                String master = i % 2 == 0 ? "averaging" : "sharing";
                Path run = cluster.dir().resolve("run-" + i + "-" + master);
                MainJobOnCluster.train(cluster, data, run, epochs, examples, overrides, "train.workers=2",
                        "train.master=" + master);
                List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
                System.out.printf(Locale.ROOT, "run %d (%s):%n  %s%n", i, master, String.join("\n  ", lines));
                table.add(row(i, master, lines));
            }
        }
        System.out.printf(Locale.ROOT, "%nmain job on 2 executors x 1 core, %s examples per epoch, %s epochs%n",
                examples, epochs);
        System.out.println("run master     val_accuracy per epoch      img/s per epoch (fit)     "
                + "bytes per worker step");
        table.forEach(System.out::println);
    }

    private static String row(int i, String master, List<String> lines) throws Exception {
        double[] acc = new double[lines.size()];
        double[] ips = new double[lines.size()];
        double bytes = 0;
        double steps = 0;
        for (int e = 0; e < lines.size(); e++) {
            JsonNode m = JSON.readTree(lines.get(e));
            acc[e] = m.get("val_accuracy").asDouble();
            ips[e] = m.get("train_examples_per_second").asDouble();
            JsonNode r = m.get("rounds");
            double workerSteps = r.get("minibatches_per_worker").asDouble() * r.get("workers").asDouble();
            if ("sharing".equals(r.path("master").asText())) {
                bytes += r.path("driver_bytes_sent").asDouble() + r.path("driver_bytes_received").asDouble();
            } else {
                bytes += r.get("count").asDouble() * (r.get("bytes_out_per_round").asDouble()
                        + r.get("bytes_back_per_round").asDouble());
            }
            steps += workerSteps;
        }
        return String.format(Locale.ROOT, "%3d %-10s %-27s %-25s %,.0f", i, master, fmt(acc, "%.4f"),
                fmt(ips, "%.0f"), bytes / Math.max(1, steps));
    }

    private static String fmt(double[] v, String f) {
        return String.join(" ", Arrays.stream(v).mapToObj(x -> String.format(Locale.ROOT, f, x)).toList());
    }
}
