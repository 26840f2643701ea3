package io.protospark.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code submit/protospark} as users run it: through SparkSubmit with the Maven-built spark-home and the job jar. */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "submit", "protospark").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private record Outcome(int code, String output) {
    }

    private static Outcome launch(String... args) throws IOException, InterruptedException {
        return launch(java.util.Map.of(), args);
    }

    private static Outcome launch(java.util.Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(LAUNCHER.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not finish: " + cmd);
        }
        return new Outcome(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void helpAndConfigErrors() throws Exception {
        Outcome help = launch("--help");
        assertEquals(0, help.code(), help.output());
        assertTrue(help.output().contains("prepare") && help.output().contains("validate"), help.output());
        Outcome bad = launch("validate", "model.embedding-dim=5");
        assertEquals(2, bad.code(), bad.output());
        assertTrue(bad.output().contains("needs embedding-dim = classes - 1 = 9; found 5"), bad.output());
    }

    /**
     * Every master but local gets Spark authentication and network encryption (PROTOSPARK_DRY_RUN prints the command);
     * --insecure drops both with a warning, and an explicit --spark-conf comes later on the command line, so it wins.
     */
    @Test
    void clusterMastersAreSecuredByDefault() throws Exception {
        java.util.Map<String, String> dry = java.util.Map.of("PROTOSPARK_DRY_RUN", "1", "HADOOP_CONF_DIR",
                Files.createDirectories(tmp.resolve("hadoop-conf")).toString());
        for (String master : List.of("spark://127.0.0.1:7077", "yarn", "k8s://https://127.0.0.1:6443")) {
            Outcome o = launch(dry, "train", "--master", master);
            assertEquals(0, o.code(), o.output());
            assertTrue(o.output().contains("--conf spark.authenticate=true --conf spark.network.crypto.enabled=true"),
                    master + ": " + o.output());
            Outcome insecure = launch(dry, "train", "--master", master, "--insecure");
            assertEquals(0, insecure.code(), insecure.output());
            assertFalse(insecure.output().contains("spark.authenticate"), master + ": " + insecure.output());
            assertTrue(insecure.output().contains("warning: --insecure"), insecure.output());
        }
        Outcome noConf = launch(java.util.Map.of("PROTOSPARK_DRY_RUN", "1"), "train", "--master", "yarn");
        assertEquals(1, noConf.code(), noConf.output());
        assertTrue(noConf.output().contains("--master yarn needs HADOOP_CONF_DIR"), noConf.output());
        Outcome local = launch(dry, "train", "--master", "local[2]");
        assertFalse(local.output().contains("spark.authenticate"), local.output());
        Outcome explicit = launch(dry, "train", "--master", "spark://127.0.0.1:7077", "--spark-conf",
                "spark.network.crypto.enabled=false");
        String out = explicit.output();
        assertTrue(out.indexOf("spark.network.crypto.enabled=false") > out.indexOf("spark.network.crypto.enabled=true"),
                out);
    }

    @Test
    void kubernetesClusterModeTakesTheJobsSparkSettingsAndTheImagesJar() throws Exception {
        Path conf = tmp.resolve("run.conf");
        java.nio.file.Files.writeString(conf, "include \"" + LAUNCHER.resolveSibling("k8s").resolve("kubernetes.conf")
                .toUri() + "\"\nprotospark.train.gpus-per-worker = 1\n");
        Outcome o = launch(java.util.Map.of("PROTOSPARK_DRY_RUN", "1"), "train", "--conf", conf.toString(),
                "--master", "k8s://https://10.0.0.1:6443", "--deploy-mode", "cluster",
                "--spark-conf", "spark.kubernetes.container.image=protospark:cuda", "--data", "/data/d",
                "--run-dir", "/runs/r", "train.epochs=3");
        assertEquals(0, o.code(), o.output());
        String cmd = o.output();
        assertTrue(cmd.contains(" --deploy-mode cluster "), cmd);
        assertTrue(cmd.contains(" local:///opt/protospark/spark-jobs/target/protospark-job.jar train --conf "), cmd);
        assertTrue(cmd.contains("spark.kubernetes.container.image=protospark:cuda"), "--spark-conf wins: " + cmd);
        assertTrue(!cmd.contains("image=protospark:cpu"), "the conf's image is not passed as well: " + cmd);
        assertTrue(cmd.contains("spark.kubernetes.namespace=protospark"), cmd);
        assertTrue(cmd.contains("spark.kubernetes.driver.podTemplateFile="
                + LAUNCHER.resolveSibling("k8s").resolve("driver-pod-template.yaml")), "made absolute: " + cmd);
        assertTrue(cmd.contains("spark.executor.resource.gpu.vendor=nvidia.com"), cmd);
        assertTrue(cmd.contains("spark.driver.memory=4g"), cmd);
        // the image's log configuration for the driver pod; --add-opens for the driver and executors
        assertTrue(cmd.matches("(?s).*spark\\.driver\\.extraJavaOptions=--add-opens=\\S+.*jar:file:/opt/protospark/"
                + "spark-jobs/target/protospark-job\\.jar.*"), cmd);
        assertTrue(cmd.contains("spark.executor.extraJavaOptions=--add-opens="), cmd);
        Outcome local = launch(java.util.Map.of("PROTOSPARK_DRY_RUN", "1"), "train", "--conf", conf.toString(),
                "--deploy-mode", "cluster");
        assertEquals(2, local.code(), local.output());
    }

    @Test
    void prepareAndTrainLocally() throws Exception {
        Path raw = FashionSubset.write(tmp.resolve("raw"), 400, 100);
        Path data = tmp.resolve("data with space");
        Outcome prep = launch("prepare", "--master", "local[2]", "--format", "idx", "--input", raw.toString(),
                "--output", data.toString());
        assertEquals(0, prep.code(), prep.output());
        assertTrue(Files.isRegularFile(data.resolve("manifest.json")), prep.output());
        Outcome train = launch("train", "--master", "local[2]", "--data", data.toString(), "--run-dir",
                tmp.resolve("run").toString(), "--epochs", "1");
        assertEquals(0, train.code(), train.output());
        assertTrue(train.output().matches("(?s).*epoch 1/1 +train_loss [0-9.]+ .*"), train.output());
        assertTrue(train.output().contains("test accuracy"), train.output());
        // the driver logs protospark's own progress; Spark's INFO chatter stays off
        assertTrue(!java.util.regex.Pattern.compile("INFO +(SparkContext|Executor|DAGScheduler|TaskSetManager)\\b")
                .matcher(train.output()).find(), "Spark's INFO lines in the driver log: " + train.output());
        assertEquals(1, Files.readAllLines(tmp.resolve("run").resolve("metrics.jsonl")).size());
        // the launcher says which off-heap limits it chose (local mode: from this machine's RAM)
        assertTrue(train.output().contains("ND4J off-heap limits") && train.output().contains("of RAM"),
                train.output());

        // an out-of-memory ends with protospark's message naming the limits and what to change, whether the driver
        // thread (exit 1) or a Spark task (exit 52 from Spark's handler, explained by the launcher) ran out; DL4J's
        // crash dump lands in the run directory, never in the current directory
        Path starved = tmp.resolve("starved");
        Outcome oom = launch(java.util.Map.of("PROTOSPARK_OFFHEAP", "8G/2500M"), "train", "--master", "local[2]",
                "--data", data.toString(), "--run-dir", starved.toString(), "--epochs", "1",
                "model.backbone=resnet50-cifar", "model.fast-layers=true");
        assertTrue(oom.code() == 52 || oom.code() == 1, oom.output());
        assertTrue(oom.output().contains("ran out of memory"), oom.output());
        assertTrue(oom.output().contains("PROTOSPARK_OFFHEAP") && oom.output().contains("batch-size"), oom.output());
        try (var files = Files.list(Path.of("."))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("dl4j-memory-crash-dump")),
                    "a crash dump in the current directory");
        }
    }

    /**
     * A driver killed with SIGKILL (its whole process group: the launcher and the JVM) right after its first checkpoint,
     * then started again with the same command, ends bit for bit where a run that was never stopped ends; a third start
     * of the completed run does nothing and exits 0.
     */
    @Test
    void aDriverKilledAfterACheckpointResumesBitForBit() throws Exception {
        Path raw = FashionSubset.write(tmp.resolve("raw"), 400, 100);
        Path data = tmp.resolve("data");
        assertEquals(0, launch("prepare", "--master", "local[2]", "--format", "idx", "--input", raw.toString(),
                "--output", data.toString()).code());
        List<String> train = List.of("train", "--master", "local[2]", "--data", data.toString(), "--epochs", "3",
                "train.workers=2", "train.batch-size=32", "train.averaging-frequency=3",
                "train.lock-timeout-seconds=2");
        Path whole = tmp.resolve("whole");
        Outcome a = launch(concat(train, "--run-dir", whole.toString()));
        assertEquals(0, a.code(), a.output());

        Path killed = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of("setsid", LAUNCHER.toString()));
        cmd.addAll(List.of(concat(train, "--run-dir", killed.toString())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile()).start();
        Path first = killed.resolve("checkpoints/epoch-0001/checkpoint.json");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (!Files.exists(first) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(first) && p.isAlive(), "no checkpoint before the end: "
                + Files.readString(tmp.resolve("killed.log")));
        // setsid made the launcher a process-group leader: kill the group, JVM included
        assertEquals(0, new ProcessBuilder("kill", "-9", "--", "-" + p.pid()).start().waitFor());
        p.waitFor(1, TimeUnit.MINUTES);
        assertEquals(137, p.exitValue());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals("running", json.readTree(killed.resolve("provenance.json").toFile()).get("status").asText(),
                "a killed driver leaves its run marked running");
        assertTrue(Files.exists(killed.resolve("_lock")), "a killed driver leaves its lock");

        Outcome b = launch(concat(train, "--run-dir", killed.toString()));
        assertEquals(0, b.code(), b.output());
        var prov = json.readTree(killed.resolve("provenance.json").toFile());
        assertEquals("completed", prov.get("status").asText());
        int from = prov.at("/resumes/0/from_epoch").asInt();
        assertTrue(from >= 1, prov.toString());
        for (String entry : List.of("coefficients.bin", "updaterState.bin")) {
            assertTrue(java.util.Arrays.equals(zipEntry(whole.resolve("model.zip"), entry),
                    zipEntry(killed.resolve("model.zip"), entry)), entry + " differs after a resume from epoch " + from);
        }
        assertEquals(metricsWithoutClock(whole), metricsWithoutClock(killed));

        Outcome c = launch(concat(train, "--run-dir", killed.toString()));
        assertEquals(0, c.code(), c.output());
        assertTrue(c.output().contains("already completed"), c.output());
    }

    private static String[] concat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out.toArray(new String[0]);
    }

    private static byte[] zipEntry(Path zip, String name) throws IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
            return z.getInputStream(z.getEntry(name)).readAllBytes();
        }
    }

    private static List<String> metricsWithoutClock(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            // the round costs, times too, are the line's last field
            out.add(line.replaceAll(",\"rounds\":\\{.*\\}}$", "}")
                    .replaceAll("\"(seconds|train_examples_per_second)\":[^,}]*", ""));
        }
        return out;
    }
}
