package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The scheduling examples in submit/schedule/: cron-train's lock (run twice at once with a stand-in launcher), the
 * Airflow DAG (parsed with Python's ast and run against stand-in airflow modules: Airflow itself is not installable
 * here) and the Kubernetes CronJob (parsed with PyYAML). No Spark.
 */
class ScheduleExamplesTest {
    private static final Path SCHEDULE = Path.of("..", "submit", "schedule").toAbsolutePath().normalize();
    /** cron-train's exit code when another cron-train holds the lock (submit/schedule/README.md). */
    private static final int ALREADY_RUNNING = 75;

    @TempDir
    Path tmp;

    /** A launcher stand-in: appends its arguments to a file, sleeps 3 s, exits with $STANDIN_EXIT (default 0). */
    private Path standIn(Path calls) throws IOException {
        Path script = tmp.resolve("protospark-stand-in");
        Files.writeString(script, "#!/usr/bin/env bash\n"
                + "printf '%s\\n' \"$*\" >> '" + calls + "'\n"
                + "sleep 3\n"
                + "exit \"${STANDIN_EXIT:-0}\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private Process cronTrain(Path launcher, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", SCHEDULE.resolve("cron-train").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
        pb.environment().put("PROTOSPARK", launcher.toString());
        pb.environment().remove("PROTOSPARK_CRON_LOCK");
        return pb.start();
    }

    private static String stderrOf(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static boolean has(String program) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + program).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void cronTrainRefusesASecondStartAtOnceAndRunsTheLauncherOnce() throws Exception {
        assumeTrue(has("bash") && has("flock"), "cron-train needs bash and flock (util-linux)");
        Path calls = tmp.resolve("calls.txt");
        Path launcher = standIn(calls);
        Path runDir = tmp.resolve("runs").resolve("nightly");
        Files.createDirectories(runDir.getParent());

        Process first = cronTrain(launcher, "--conf", "run.conf", "--run-dir", runDir.toString(),
                "--master", "local[1]", "train.epochs=2");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(calls) && !Files.readString(calls).isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(calls), "the first cron-train started the launcher");

        long started = System.nanoTime();
        Process second = cronTrain(launcher, "--conf", "run.conf", "--run-dir", runDir.toString());
        assertTrue(second.waitFor(20, TimeUnit.SECONDS), "the second cron-train ended");
        double secondSeconds = (System.nanoTime() - started) / 1e9;
        String secondErr = stderrOf(second);
        assertTrue(first.isAlive(), "the first start still runs while the second is refused");
        assertEquals(ALREADY_RUNNING, second.exitValue(), secondErr);
        assertTrue(secondSeconds < 2.5, "refused at once, not after waiting: " + secondSeconds + " s");
        assertTrue(secondErr.contains("not starting") && secondErr.contains(runDir.toString())
                && secondErr.contains("already being trained"), secondErr);

        assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the first cron-train ended");
        String firstErr = stderrOf(first);
        assertEquals(0, first.exitValue(), firstErr);
        assertTrue(firstErr.contains("end: exit 0"), firstErr);
        assertEquals(List.of("train --conf run.conf --run-dir " + runDir + " --master local[1] train.epochs=2"),
                Files.readAllLines(calls), "the launcher ran exactly once, with the arguments passed through");
        // the lock file lies beside the run directory; cron-train never creates or writes the run directory itself
        assertTrue(Files.exists(runDir.resolveSibling("nightly.cron-lock")));
        assertFalse(Files.exists(runDir));
    }

    @Test
    void cronTrainExitsWithTheLaunchersCodeAndRunsAgainOnceTheLockIsFree() throws Exception {
        assumeTrue(has("bash") && has("flock"), "cron-train needs bash and flock (util-linux)");
        Path calls = tmp.resolve("calls.txt");
        Path launcher = standIn(calls);
        Path lock = tmp.resolve("custom.lock");
        for (int attempt = 1; attempt <= 2; attempt++) {
            List<String> command = List.of("bash", SCHEDULE.resolve("cron-train").toString(), "--conf", "run.conf",
                    "--run-dir", "hdfs://namenode:8020/runs/x", "--lock-file", lock.toString());
            ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
            pb.environment().put("PROTOSPARK", launcher.toString());
            pb.environment().put("STANDIN_EXIT", "3");
            Process p = pb.start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            String err = stderrOf(p);
            assertEquals(3, p.exitValue(), "the launcher's exit code passes through: " + err);
        }
        assertEquals(2, Files.readAllLines(calls).size(), "a finished start leaves the lock free for the next");
        assertTrue(Files.readString(lock).startsWith("pid "), "the lock file names its last holder");
    }

    @Test
    void cronTrainWithoutARunDirectoryIsAUsageError() throws Exception {
        assumeTrue(has("bash"), "cron-train needs bash");
        Path calls = tmp.resolve("calls.txt");
        Process p = cronTrain(standIn(calls), "--conf", "run.conf");
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        String err = stderrOf(p);
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("--run-dir DIR is required"), err);
        assertFalse(Files.exists(calls));
    }

    /** Runs python3 with a script; returns stdout, or fails with stderr. */
    private static String python(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3", "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "python3 " + String.join(" ", args) + ": " + err);
        return new String(out, StandardCharsets.UTF_8);
    }

    /** Stand-in airflow modules: DAG and BashOperator record their arguments; the script prints them as JSON. */
    private static final String RUN_DAG_WITH_STAND_INS = String.join("\n",
            "import json, sys, types",
            "class DAG:",
            "    def __init__(self, **kw): self.kw = kw",
            "    def __enter__(self): return self",
            "    def __exit__(self, *a): return False",
            "tasks = []",
            "class BashOperator:",
            "    def __init__(self, **kw): tasks.append(kw)",
            "airflow = types.ModuleType('airflow'); airflow.DAG = DAG",
            "bash = types.ModuleType('airflow.operators.bash'); bash.BashOperator = BashOperator",
            "sys.modules.update({'airflow': airflow, 'airflow.operators': types.ModuleType('airflow.operators'),",
            "                    'airflow.operators.bash': bash})",
            "scope = {'__name__': 'protospark_dag'}",
            "exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'), scope)",
            "dag = scope['dag'].kw",
            "print(json.dumps({'dag_id': dag['dag_id'], 'max_active_runs': dag['max_active_runs'],",
            "                  'retries': dag['default_args']['retries'], 'tasks': tasks}, default=str))");

    @Test
    void airflowDagParsesAndTrainsInARunDirectoryOfItsLogicalDate() throws Exception {
        assumeTrue(has("python3"), "python3 is needed to check the DAG file");
        Path dag = SCHEDULE.resolve("airflow_protospark_dag.py");
        String text = Files.readString(dag);
        python("import ast,sys; ast.parse(open(sys.argv[1]).read())", dag.toString());
        assertTrue(text.contains("{{ ds_nodash }}"), "the run directory is derived from the logical date");

        JsonNode facts = new ObjectMapper().readTree(python(RUN_DAG_WITH_STAND_INS, dag.toString()));
        assertEquals("protospark_train_daily", facts.get("dag_id").asText());
        assertEquals(1, facts.get("max_active_runs").asInt());
        assertTrue(facts.get("retries").asInt() > 0, "retries, which resume the run: " + facts);
        assertEquals(1, facts.get("tasks").size());
        String command = facts.get("tasks").get(0).get("bash_command").asText();
        assertTrue(command.startsWith("/opt/protospark/submit/protospark train --conf "), command);
        assertTrue(command.contains(" --run-dir '/data/protospark/runs/protospark_train_daily-{{ ds_nodash }}' "),
                command);
    }

    @Test
    void kubernetesCronJobIsAForbidCronJobWithAFixedRunDirectory() throws Exception {
        assumeTrue(has("python3"), "python3 is needed to parse the YAML (no YAML library on the test classpath)");
        Process probe = new ProcessBuilder("python3", "-c", "import yaml").start();
        assumeTrue(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "PyYAML (Debian python3-yaml) is needed to parse the YAML");
        Path yaml = SCHEDULE.resolveSibling("k8s").resolve("cronjob.yaml");
        JsonNode cron = new ObjectMapper().readTree(python(
                "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", yaml.toString()));
        assertEquals("batch/v1", cron.get("apiVersion").asText());
        assertEquals("CronJob", cron.get("kind").asText());
        JsonNode spec = cron.get("spec");
        assertEquals("Forbid", spec.get("concurrencyPolicy").asText());
        assertTrue(spec.get("startingDeadlineSeconds").asInt() > 0);
        JsonNode job = spec.get("jobTemplate").get("spec");
        assertTrue(job.get("backoffLimit").asInt() > 0);
        JsonNode pod = job.get("template").get("spec");
        assertEquals("Never", pod.get("restartPolicy").asText());
        JsonNode container = pod.get("containers").get(0);
        assertEquals("/opt/protospark/submit/protospark", container.get("command").get(0).asText());
        List<String> args = new ArrayList<>();
        container.get("args").forEach(a -> args.add(a.asText()));
        assertEquals("train", args.get(0));
        assertEquals("/runs/main", args.get(args.indexOf("--run-dir") + 1), "a fixed run directory: " + args);
    }
}
