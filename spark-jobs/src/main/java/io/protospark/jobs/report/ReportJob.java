package io.protospark.jobs.report;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.jobs.train.RunDirectory;
import io.protospark.jobs.train.TrainSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@code protospark report}: renders a run directory's metrics, prototypes and evaluations as one self-contained
 * {@value #HTML} (charts inlined as PNG data URIs) plus the PNG files, into {@code <run dir>/report} or
 * {@code --out}. No Spark: the files are read through the Hadoop FileSystem API on the driver. The directory is
 * written under a hidden temporary name beside its place and renamed into it (an earlier report is moved aside first
 * and deleted after), so a reader sees either the old report or the new one, complete.
 */
public final class ReportJob {
    public static final String HTML = "report.html";
    /** The report directory's name inside the run directory when no {@code --out} is given. */
    public static final String DEFAULT_DIR = "report";
    private static final String P = "protospark.report.";

    static {
        // charts are drawn into images, never on a screen; also on a desktop with a DISPLAY
        System.setProperty("java.awt.headless", "true");
    }

    private ReportJob() {
    }

    /** The command's settings ({@code protospark.report.*}), checked. */
    public record Settings(URI runDir, URI out) {
        public static Settings from(Config c) {
            String runDir = Configs.nonBlank(c, P + "run-dir", "must name a run directory", "set it with --run-dir");
            String out = Configs.getString(c, P + "out");
            return new Settings(TrainSettings.toUri(P + "run-dir", runDir),
                    out.isBlank() ? null : TrainSettings.toUri(P + "out", out));
        }
    }

    /** Where the report went, how many charts it holds, and how long it took. */
    public record Result(URI out, URI html, int charts, double seconds) {
    }

    /** Renders the report of {@code s.runDir()} into {@code s.out()} (default {@code <run dir>/report}). */
    public static Result run(Settings s, Configuration hadoop) {
        long start = System.nanoTime();
        RunContents run = RunContents.read(s.runDir(), hadoop);
        URI out = s.out() != null ? s.out() : new Path(run.root(), DEFAULT_DIR).toUri();
        ReportBuilder.Rendered rendered = ReportBuilder.build(run);
        Map<String, byte[]> files = new LinkedHashMap<>(rendered.pngs());
        files.put(HTML, rendered.html().getBytes(StandardCharsets.UTF_8));
        Path published = publish(out, files, hadoop);
        return new Result(published.toUri(), new Path(published, HTML).toUri(), rendered.pngs().size(),
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * Writes {@code files} into a hidden directory beside {@code out} and renames it to {@code out} (replacing an
     * earlier version); returns the qualified {@code out}.
     */
    static Path publish(URI out, Map<String, byte[]> files, Configuration hadoop) {
        Path target = new Path(out);
        Path parentPath = target.getParent();
        if (parentPath == null) {
            throw new IllegalArgumentException("report directory " + out + " (--out) has no parent directory; give "
                    + "a directory below the root");
        }
        String name = target.getName();
        String tmp = "." + name + ".tmp-" + UUID.randomUUID();
        try (RunDirectory parent = RunDirectory.open(parentPath.toUri(), hadoop)) {
            try {
                try (RunDirectory dir = RunDirectory.open(parent.path(tmp).toUri(), hadoop)) {
                    for (Map.Entry<String, byte[]> f : files.entrySet()) {
                        dir.write(f.getKey(), o -> o.write(f.getValue()));
                    }
                }
                parent.replace(tmp, name);
            } catch (RuntimeException e) {
                try {
                    parent.delete(tmp);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            return parent.path(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + parentPath + ": " + e.getMessage(), e);
        }
    }
}
