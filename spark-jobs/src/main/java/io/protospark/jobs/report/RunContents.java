package io.protospark.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.eval.EvaluateJob;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.model.io.Npy;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What a run directory holds for its report, read through the Hadoop FileSystem API: the per-epoch metrics, the
 * resolved configuration, the provenance, the prototypes (when the head has them) and every evaluation under
 * {@code evaluation/<name>/evaluation.json}.
 *
 * @param root        the run directory, qualified
 * @param epochs      one JSON object per line of {@value TrainLoop#METRICS}, in order
 * @param resolved    the run's {@value TrainLoop#RESOLVED}, resolved
 * @param provenance  {@value TrainLoop#PROVENANCE}, or null when absent or unreadable
 * @param prototypes  {@value TrainLoop#PROTOTYPES} (K x d), or null when the run has none
 * @param evaluations the evaluations, by directory name, sorted by name
 */
record RunContents(Path root, List<JsonNode> epochs, Config resolved, JsonNode provenance, double[][] prototypes,
                   List<Evaluation> evaluations) {

    /** The directory holding evaluations inside a run directory. */
    static final String EVALUATIONS = "evaluation";

    /** One {@code evaluation/<name>/evaluation.json}. */
    record Evaluation(String name, JsonNode json) {
    }

    /**
     * Reads the run directory {@code runDir}.
     *
     * @throws IllegalArgumentException naming the path when it does not exist, is not a directory, holds no
     *                                  {@value TrainLoop#RESOLVED} (not a run) or no {@value TrainLoop#METRICS}, or
     *                                  when one of its files cannot be parsed
     */
    static RunContents read(URI runDir, Configuration hadoop) {
        Path p = new Path(runDir);
        try (FileSystem fs = FileSystem.newInstance(p.toUri(), hadoop)) {
            // Path(String) drops a trailing slash (a directory URI's), so the root has its name
            Path root = fs.makeQualified(new Path(p.toString()));
            if (!fs.exists(root)) {
                throw new IllegalArgumentException("run directory " + root + " (--run-dir) does not exist");
            }
            if (!fs.getFileStatus(root).isDirectory()) {
                throw new IllegalArgumentException("run directory " + root + " (--run-dir) is a file; give the "
                        + "directory of a run");
            }
            Path resolvedFile = new Path(root, TrainLoop.RESOLVED);
            if (!fs.exists(resolvedFile)) {
                throw new IllegalArgumentException("run directory " + root + " holds no " + TrainLoop.RESOLVED
                        + ": not a protospark run directory");
            }
            Path metricsFile = new Path(root, TrainLoop.METRICS);
            if (!fs.exists(metricsFile)) {
                throw new IllegalArgumentException("run directory " + root + " holds no " + TrainLoop.METRICS + " ("
                        + metricsFile + "): the run has not recorded an epoch");
            }
            Config resolved;
            try {
                resolved = ConfigFactory.parseString(text(fs, resolvedFile)).resolve();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot read " + resolvedFile + ": " + e.getMessage(), e);
            }
            List<JsonNode> epochs = new ArrayList<>();
            String[] lines = text(fs, metricsFile).split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    try {
                        epochs.add(Json.MAPPER.readTree(lines[i]));
                    } catch (IOException e) {
                        throw new IllegalArgumentException("unreadable line " + (i + 1) + " of " + metricsFile + ": "
                                + e.getMessage(), e);
                    }
                }
            }
            JsonNode provenance = null;
            Path provenanceFile = new Path(root, TrainLoop.PROVENANCE);
            if (fs.exists(provenanceFile)) {
                try {
                    provenance = Json.MAPPER.readTree(text(fs, provenanceFile));
                } catch (IOException e) {
                    provenance = null; // the report still shows everything else
                }
            }
            double[][] prototypes = null;
            Path prototypesFile = new Path(root, TrainLoop.PROTOTYPES);
            if (fs.exists(prototypesFile)) {
                try (InputStream in = fs.open(prototypesFile)) {
                    prototypes = Npy.readMatrix(in, prototypesFile.toString());
                }
            }
            return new RunContents(root, List.copyOf(epochs), resolved, provenance, prototypes,
                    evaluations(fs, new Path(root, EVALUATIONS)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the run directory " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static List<Evaluation> evaluations(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(dir) || !fs.getFileStatus(dir).isDirectory()) {
            return List.of();
        }
        FileStatus[] children = fs.listStatus(dir);
        Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
        List<Evaluation> out = new ArrayList<>();
        for (FileStatus child : children) {
            String name = child.getPath().getName();
            Path file = new Path(child.getPath(), EvaluateJob.EVALUATION);
            if (!child.isDirectory() || name.startsWith(".") || !fs.exists(file)) {
                continue;
            }
            try {
                out.add(new Evaluation(name, Json.MAPPER.readTree(text(fs, file))));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    private static String text(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
