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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code submit/protospark} as users run it: through SparkSubmit with the Maven-built spark-home and the job jar. */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "submit", "protospark").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private record Outcome(int code, String output) {
    }

    private static Outcome launch(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(LAUNCHER.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
    }
}
