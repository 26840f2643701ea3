package io.protospark.jobs;

import io.protospark.jobs.spark.SharedSpark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A command line run through {@link Main#execute} in the test JVM, with its exit code, stdout and stderr. Commands that
 * run Spark ({@code prepare}, {@code train}) get the shared test session ({@link SharedSpark}) and leave it running.
 */
record CommandRun(int code, String out, String err) {

    static CommandRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), SharedSpark.LENT);
        return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
