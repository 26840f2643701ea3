package io.protospark.jobs;

import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * {@code System.out} without the lines ND4J's SameDiff prints while it builds a gradient function: one
 * {@code "Added differentiated op NAME"} per op, hundreds in a SphereNet run. SameDiff writes them with
 * {@code System.out.println} (SameDiff.createGradFunction in nd4j-api 1.0.0-M2.1), not through a logger, so
 * log4j2.properties cannot silence them. Every other output passes unchanged.
 */
final class QuietStdout extends PrintStream {
    /** The start of the line SameDiff prints for each differentiated op. */
    static final String SAMEDIFF_OP_LINE = "Added differentiated op ";

    QuietStdout(PrintStream out) {
        super(out, true, stdoutCharset());
    }

    /** Replaces {@code System.out} with a {@code QuietStdout} around it (once). */
    static void install() {
        if (!(System.out instanceof QuietStdout)) {
            System.setOut(new QuietStdout(System.out));
        }
    }

    @Override
    public void println(String line) {
        if (line != null && line.startsWith(SAMEDIFF_OP_LINE)) {
            return;
        }
        super.println(line);
    }

    /** The charset Java 17 gives {@code System.out}: sun.stdout.encoding on a terminal, else the default. */
    private static Charset stdoutCharset() {
        String name = System.getProperty("sun.stdout.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return Charset.defaultCharset();
        }
    }
}
