package io.protospark.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The main job ({@code conf/fashion-mnist.conf}) prepared and trained on a {@link StandaloneCluster}: the steps the
 * cluster benchmarks ({@link RoundCostsBench}, {@link SharingBench}) share.
 */
final class MainJobOnCluster {
    static final Path CONF = Path.of("../conf/fashion-mnist.conf").toAbsolutePath().normalize();

    private MainJobOnCluster() {
    }

    /** {@code prepare --format idx} of the IDX files in {@code input} into {@code data}; fails the test if it fails. */
    static void prepare(StandaloneCluster cluster, String input, Path data) throws Exception {
        StandaloneCluster.Result prep = cluster.submission().timeout(Duration.ofMinutes(15)).driverHeap("3g")
                .args("prepare", "--conf", CONF.toString(), "--format", "idx", "--input", input, "--output",
                        data.toString()).run();
        assertTrue(prep.succeeded(), () -> prep.describe() + "\n" + cluster.describe());
    }

    /**
     * {@code train} of the main job into {@code run} for {@code epochs} epochs of {@code examples} examples, no report,
     * with {@code settings} and then the space-separated {@code overrides}; fails the test if it fails.
     */
    static StandaloneCluster.Result train(StandaloneCluster cluster, Path data, Path run, String epochs,
                                          String examples, String overrides, String... settings) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "--conf", CONF.toString(), "--data", data.toString(),
                "--run-dir", run.toString(), "--epochs", epochs, "train.max-train-examples=" + examples,
                "train.report=false"));
        args.addAll(List.of(settings));
        if (!overrides.isBlank()) {
            args.addAll(List.of(overrides.trim().split("\\s+")));
        }
        StandaloneCluster.Result r = cluster.submission().timeout(Duration.ofMinutes(30)).driverHeap("3g")
                .args(args.toArray(new String[0])).run();
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        return r;
    }
}
