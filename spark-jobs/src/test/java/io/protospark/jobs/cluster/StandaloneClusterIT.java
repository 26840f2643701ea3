package io.protospark.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A standalone Master and two Workers, each its own JVM from target/spark-home, with applications submitted through
 * SparkSubmit in client mode: a plain Spark probe and the real job jar's {@code Main validate}. Afterwards no JVM the
 * cluster started may be left running. Last, the job jar prepares a small Fashion-MNIST set and trains one epoch
 * on the two workers. The cluster runs with Spark authentication (a shared secret made for this run) and every
 * submission with network encryption; the launcher, given the secret in a file, submits with both by default, and a
 * wrong or missing secret is refused before the application registers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {

    private static final int WORKERS = 2;
    private static final Pattern PROBE_EXECUTOR = Pattern.compile("PROBE executor=(\\S+)@(\\d+)");

    private static final Path LAUNCHER = Path.of("../submit/protospark");

    private static StandaloneCluster cluster;
    private static Path secretFile;

    @BeforeAll
    static void startCluster() throws Exception {
        String secret = StandaloneCluster.randomSecret();
        cluster = StandaloneCluster.builder().workers(WORKERS).secret(secret).start();
        secretFile = cluster.dir().resolve("spark.secret");
        java.nio.file.Files.writeString(secretFile, secret + "\n");
        java.nio.file.Files.setPosixFilePermissions(secretFile,
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        System.out.printf("standalone cluster: master + %d workers up in %.1f s at %s (%s)%n", WORKERS,
                cluster.startupTime().toMillis() / 1000.0, cluster.masterUrl(), cluster.dir());
    }

    @AfterAll
    static void stopClusterAndCheckNothingIsLeft() {
        if (cluster == null) return;
        Set<Long> started = cluster.startedPids();
        cluster.close();
        Set<Long> alive = cluster.alivePids();
        assertTrue(alive.isEmpty(), "still running after close(): pids " + alive + " of " + started
                + "; logs in " + cluster.dir());
        assertTrue(started.containsAll(cluster.daemonPids()));
    }

    @Test
    @Order(1)
    void bothWorkersRegisterWithTheMaster() throws Exception {
        assertEquals(WORKERS, cluster.aliveWorkers(), () -> "master JSON: " + json() + "\n" + cluster.describe());
        for (long pid : cluster.daemonPids()) {
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    () -> "daemon " + pid + " is not running\n" + cluster.describe());
        }
    }

    @Test
    @Order(2)
    void aPlainSparkAppRunsTasksOnBothWorkers() throws Exception {
        Path jar = StandaloneCluster.jarOf(cluster.dir().resolve("probe.jar"), ClusterProbe.class);
        StandaloneCluster.Result r = cluster.submission()
                .jar(jar)
                .mainClass(ClusterProbe.class.getName())
                .driverHeap("1g")
                .sparkConf("spark.executor.memory", "1g")
                .timeout(Duration.ofMinutes(5))
                .args(String.valueOf(WORKERS), cluster.dir().resolve("probe-out").toString())
                .run();
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());

        Map<String, Long> executors = new TreeMap<>();
        Matcher m = PROBE_EXECUTOR.matcher(r.output());
        while (m.find()) executors.put(m.group(1), Long.parseLong(m.group(2)));
        assertEquals(WORKERS, executors.size(), () -> "tasks ran on executors " + executors + "\n" + r.describe());
        Set<Long> executorPids = cluster.executorPidsSeen();
        assertTrue(executorPids.containsAll(executors.values()), () -> "task pids " + executors
                + " are not all JVMs started by the workers " + executorPids + "\n" + cluster.describe());

        String appId = r.appId().orElseThrow(() -> new AssertionError("no app id in the driver log\n" + r.describe()));
        assertEquals(List.of(1, 2), cluster.workersThatRan(appId), () -> "workers with an executor dir for " + appId
                + "\n" + cluster.describe());
        assertTrue(r.output().contains("PROBE parquet groups=7 total=10000"), r::describe);
        assertTrue(json().contains(appId), () -> "master does not list " + appId + ": " + json());
    }

    @Test
    @Order(3)
    void jobJarValidateRunsOnTheCluster() throws Exception {
        StandaloneCluster.Result r = cluster.submit("validate");
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        assertFalse(r.output().isBlank(), r::describe);
        // validate may finish without a SparkContext; when it made one, it ran as an app of this master
        r.appId().ifPresent(appId -> assertTrue(json().contains(appId), () -> "master does not list " + appId));
    }

    @Test
    @Order(4)
    void prepareAndTrainOneEpochOnTheCluster() throws Exception {
        Path raw = io.protospark.jobs.FashionSubset.write(cluster.dir().resolve("raw"), 1200, 300);
        Path data = cluster.dir().resolve("data");
        Path run = cluster.dir().resolve("run");
        // through the launcher: authentication and encryption are its defaults, the secret comes from the file
        StandaloneCluster.Result prep = cluster.launch(LAUNCHER, Map.of("PROTOSPARK_SPARK_SECRET_FILE",
                        secretFile.toString(), "PROTOSPARK_OFFHEAP", "2G/3G"), Duration.ofMinutes(5), "prepare",
                "--format", "idx", "--input", raw.toString(), "--output", data.toString());
        assertTrue(prep.succeeded(), () -> prep.describe() + "\n" + cluster.describe());
        String prepApp = prep.appId().orElseThrow(() -> new AssertionError("no app id\n" + prep.describe()));
        assertFalse(cluster.workersThatRan(prepApp).isEmpty(), () -> "prepare ran no executor\n" + cluster.describe());

        StandaloneCluster.Result r = cluster.submit("train", "--conf", Path.of("../conf/fashion-mnist.conf")
                        .toAbsolutePath().normalize().toString(), "--data", data.toString(), "--run-dir",
                run.toString(), "--epochs", "1", "train.batch-size=32", "train.averaging-frequency=5");
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        assertTrue(r.output().contains("test accuracy"), r::describe);

        String appId = r.appId().orElseThrow(() -> new AssertionError("no app id in the driver log\n" + r.describe()));
        assertEquals(List.of(1, 2), cluster.workersThatRan(appId), () -> "training did not run on both workers\n"
                + cluster.describe());
        List<String> metrics = java.nio.file.Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(1, metrics.size(), metrics::toString);
        com.fasterxml.jackson.databind.JsonNode epoch = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(metrics.get(0));
        assertEquals(1200, epoch.get("train_examples").asLong(), metrics::toString);
        com.fasterxml.jackson.databind.JsonNode prov = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(run.resolve("provenance.json").toFile());
        assertEquals("completed", prov.get("status").asText());
        assertTrue(prov.at("/spark/master").asText().startsWith("spark://127.0.0.1:"), prov::toString);
        assertEquals(2, prov.at("/spark/workers").asInt(), prov::toString);

        org.deeplearning4j.nn.graph.ComputationGraph model = org.deeplearning4j.util.ModelSerializer
                .restoreComputationGraph(run.resolve("model.zip").toFile(), false);
        assertEquals(org.nd4j.linalg.factory.Nd4j.create(io.protospark.model.prototype.PrototypeSet.simplex(10)
                        .matrix()).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).transpose(),
                io.protospark.model.net.FixedHead.weights(model), "prototypes changed on the cluster");
    }

    /**
     * A target loss whose targets travel by reference: the executors, JVMs of their own, read the run directory's
     * targets file (once each) instead of receiving the matrix in every round's broadcast.
     */
    @Test
    @Order(5)
    void targetsByReferenceAreReadByTheExecutors() throws Exception {
        Path raw = io.protospark.jobs.FashionSubset.write(cluster.dir().resolve("raw-targets"), 600, 200);
        Path data = cluster.dir().resolve("data-targets");
        Path run = cluster.dir().resolve("run-targets");
        StandaloneCluster.Result prep = cluster.submit("prepare", "--format", "idx", "--input", raw.toString(),
                "--output", data.toString());
        assertTrue(prep.succeeded(), () -> prep.describe() + "\n" + cluster.describe());
        StandaloneCluster.Result r = cluster.submit("train", "--conf", Path.of("../conf/fashion-mnist.conf")
                        .toAbsolutePath().normalize().toString(), "--data", data.toString(), "--run-dir",
                run.toString(), "--epochs", "1", "train.batch-size=32", "train.averaging-frequency=5",
                "model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres", "model.head.radius=5",
                "train.targets-inline-up-to=0");
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        com.fasterxml.jackson.databind.JsonNode prov = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(run.resolve("provenance.json").toFile());
        assertTrue(prov.at("/round/targets_by_reference").asBoolean(), prov::toString);
        String uri = prov.at("/targets/0/uri").asText();
        assertFalse(uri.isEmpty(), prov::toString);
        String appId = r.appId().orElseThrow(() -> new AssertionError("no app id\n" + r.describe()));
        StringBuilder logs = new StringBuilder();
        for (Path p : cluster.executorLogs()) {
            if (p.toString().contains(appId)) {
                logs.append(java.nio.file.Files.readString(p));
            }
        }
        assertTrue(logs.toString().contains("read targets file " + uri), () -> "no executor read " + uri + "\n"
                + logs);
    }

    /**
     * {@code train.master = sharing} on both workers: the updates cross Aeron UDP between three JVMs (the driver's
     * endpoint counts them), every example is trained and counted, and the fixed head stays bit-identical.
     */
    @Test
    @Order(8)
    void gradientSharingTrainsOnBothExecutors() throws Exception {
        Path raw = io.protospark.jobs.FashionSubset.write(cluster.dir().resolve("raw-sharing"), 1200, 300);
        Path data = cluster.dir().resolve("data-sharing");
        Path run = cluster.dir().resolve("run-sharing");
        StandaloneCluster.Result prep = cluster.submit("prepare", "--format", "idx", "--input", raw.toString(),
                "--output", data.toString());
        assertTrue(prep.succeeded(), () -> prep.describe() + "\n" + cluster.describe());
        StandaloneCluster.Result r = cluster.submit("train", "--conf", Path.of("../conf/fashion-mnist.conf")
                        .toAbsolutePath().normalize().toString(), "--data", data.toString(), "--run-dir",
                run.toString(), "--epochs", "2", "train.batch-size=32", "train.master=sharing", "train.report=false");
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        String appId = r.appId().orElseThrow(() -> new AssertionError("no app id\n" + r.describe()));
        assertEquals(List.of(1, 2), cluster.workersThatRan(appId), () -> "sharing did not run on both workers\n"
                + cluster.describe());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> metrics = java.nio.file.Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), metrics::toString);
        for (String line : metrics) {
            com.fasterxml.jackson.databind.JsonNode epoch = json.readTree(line);
            assertEquals(1200, epoch.get("train_examples").asLong(), line);
            assertEquals("sharing", epoch.at("/rounds/master").asText(), line);
            assertTrue(epoch.at("/rounds/driver_bytes_received").asLong() > 0, () -> "no update reached the driver: "
                    + line);
        }
        assertTrue(json.readTree(metrics.get(1)).get("val_accuracy").asDouble() > 0.3, metrics::toString);
        org.deeplearning4j.nn.graph.ComputationGraph model = org.deeplearning4j.util.ModelSerializer
                .restoreComputationGraph(run.resolve("model.zip").toFile(), false);
        assertEquals(org.nd4j.linalg.factory.Nd4j.create(io.protospark.model.prototype.PrototypeSet.simplex(10)
                        .matrix()).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).transpose(),
                io.protospark.model.net.FixedHead.weights(model), "prototypes changed under sharing");
    }

    /**
     * The launcher's defaults against a cluster that requires authentication: a wrong secret, and no secret at all,
     * end the command with exit code 2 and a message that says what to fix, before any application registers (Spark
     * alone retries for a minute and then reports "All masters are unresponsive").
     */
    @Test
    @Order(7)
    void aWrongOrMissingSecretIsRefusedBeforeTheApplicationRegisters() throws Exception {
        Path wrong = cluster.dir().resolve("wrong.secret");
        java.nio.file.Files.writeString(wrong, "not-the-cluster-secret\n");
        Path raw = io.protospark.jobs.FashionSubset.write(cluster.dir().resolve("raw-wrong"), 60, 20);
        String before = json();
        StandaloneCluster.Result r = cluster.launch(LAUNCHER, Map.of("PROTOSPARK_SPARK_SECRET_FILE",
                        wrong.toString(), "PROTOSPARK_OFFHEAP", "2G/3G"), Duration.ofMinutes(3), "prepare", "--format",
                "idx", "--input", raw.toString(), "--output", cluster.dir().resolve("data-wrong").toString());
        assertEquals(2, r.exitCode(), r::describe);
        assertTrue(r.output().contains("protospark: the Spark master " + cluster.masterUrl()
                + " refused this application's authentication"), r::describe);
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(45)) < 0, () -> "refused only after " + r.elapsed());
        assertTrue(r.appId().isEmpty(), r::describe);

        StandaloneCluster.Result none = cluster.launch(LAUNCHER, Map.of("PROTOSPARK_OFFHEAP", "2G/3G"),
                Duration.ofMinutes(3), "prepare", "--format", "idx", "--input", raw.toString(), "--output",
                cluster.dir().resolve("data-none").toString());
        assertEquals(2, none.exitCode(), none::describe);
        assertTrue(none.output().contains("set PROTOSPARK_SPARK_SECRET_FILE to a file holding it"), none::describe);
        assertEquals(appCount(before), appCount(json()), "an application registered with a wrong or missing secret");
        System.out.printf("wrong secret refused in %.1f s, missing secret in %.1f s%n",
                r.elapsed().toMillis() / 1000.0, none.elapsed().toMillis() / 1000.0);
    }

    private static long appCount(String masterJson) {
        return Pattern.compile("\"id\"\\s*:\\s*\"app-").matcher(masterJson).results().count();
    }

    private static String json() {
        try {
            return cluster.masterJson();
        } catch (Exception e) {
            return "(master JSON unavailable: " + e + ")";
        }
    }

    /**
     * An executor JVM killed with SIGKILL in the middle of an epoch: Spark runs its tasks again (on a new executor or
     * the other one), the averaging round it was in is re-run from the round's broadcast parameters, and the run
     * completes with every epoch and every example trained once per epoch.
     */
    @Test
    @Order(6)
    void aRunSurvivesAnExecutorKilledMidEpoch() throws Exception {
        Path raw = io.protospark.jobs.FashionSubset.write(cluster.dir().resolve("raw-kill"), 1200, 300);
        Path data = cluster.dir().resolve("data-kill");
        Path run = cluster.dir().resolve("run-kill");
        StandaloneCluster.Result prep = cluster.submit("prepare", "--format", "idx", "--input", raw.toString(),
                "--output", data.toString());
        assertTrue(prep.succeeded(), () -> prep.describe() + "\n" + cluster.describe());
        java.util.Set<Long> before = new java.util.HashSet<>(cluster.executorPidsSeen());
        java.util.concurrent.CompletableFuture<StandaloneCluster.Result> training =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return cluster.submit("train", "--conf", Path.of("../conf/fashion-mnist.conf")
                                        .toAbsolutePath().normalize().toString(), "--data", data.toString(),
                                "--run-dir", run.toString(), "--epochs", "2", "train.batch-size=32",
                                "train.averaging-frequency=2", "train.progress.every-seconds=1");
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
        // mid-epoch: the first progress line of epoch 1 is in the driver's log
        Pattern progress = Pattern.compile("epoch 1/2 +\\d+/1200 examples");
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        Path driverLog = null;
        while (System.nanoTime() < deadline && !training.isDone()) {
            try (var logs = java.nio.file.Files.list(cluster.dir().resolve("logs"))) {
                driverLog = logs.filter(f -> f.getFileName().toString().startsWith("driver-"))
                        .max(java.util.Comparator.comparingLong(f -> f.toFile().lastModified())).orElse(null);
            }
            if (driverLog != null && progress.matcher(java.nio.file.Files.readString(driverLog,
                    java.nio.charset.StandardCharsets.ISO_8859_1)).find()) {
                break;
            }
            Thread.sleep(100);
        }
        List<Long> executors = cluster.executorPidsSeen().stream().filter(p -> !before.contains(p))
                .filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)).toList();
        assertFalse(training.isDone(), "the run ended before an executor could be killed");
        assertFalse(executors.isEmpty(), () -> "no executor of the training app found\n" + cluster.describe());
        long victim = executors.get(0);
        assertEquals(0, new ProcessBuilder("kill", "-9", String.valueOf(victim)).start().waitFor());

        StandaloneCluster.Result r = training.get(6, java.util.concurrent.TimeUnit.MINUTES);
        assertTrue(r.succeeded(), () -> r.describe() + "\n" + cluster.describe());
        assertFalse(ProcessHandle.of(victim).map(ProcessHandle::isAlive).orElse(false));
        List<String> metrics = java.nio.file.Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), metrics::toString);
        for (String line : metrics) {
            assertEquals(1200, new com.fasterxml.jackson.databind.ObjectMapper().readTree(line)
                    .get("train_examples").asLong(), "each example once per epoch, the lost tasks re-run: " + line);
        }
        System.out.printf("executor %d killed mid-epoch 1; the run completed in %.1f s%n", victim,
                r.elapsed().toMillis() / 1000.0);
    }
}
