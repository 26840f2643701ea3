package io.protospark.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.protospark.jobs.common.Json;
import io.protospark.data.shard.Manifest;
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
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds a trained model for the commands that read one ({@code evaluate}, {@code embed}): a run directory (its final
 * {@value TrainLoop#MODEL}, or one of its checkpoints), or a {@value TrainLoop#MODEL} file, together with the
 * {@value TrainLoop#RESOLVED} of the run that trained it (the model's settings: head, decision rule, input
 * normalisation).
 */
public final class TrainedModels {
    private static final Pattern EPOCH = Pattern.compile("epoch-\\d{4,}");

    private TrainedModels() {
    }

    /**
     * A located model: the {@code model.zip} path, the run directory it belongs to, which of the run's models it is
     * ({@code final} or a checkpoint name), the run's resolved configuration (text) and the SHA-256 of the model file.
     */
    public record Located(Path model, Path runDir, String which, String resolvedConf, String sha256) {
        /** Reads the network (without its updater state). */
        public org.deeplearning4j.nn.graph.ComputationGraph load(Configuration hadoop) {
            try (FileSystem fs = FileSystem.newInstance(model.toUri(), hadoop);
                 InputStream in = fs.open(model)) {
                return TrainLoop.readModel(in, false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the model " + model + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Locates {@code model} (a run directory or a {@code model.zip}) and, for a run directory, the model
     * {@code checkpoint} names: "" (the final model), {@code last} (the newest intact checkpoint), {@code best} (the
     * kept checkpoint with the best monitored value, in the run's {@code train.checkpoint.mode}) or
     * {@code epoch-N}. A checkpoint is used only when every file matches its {@code checkpoint.json}.
     *
     * @throws IllegalArgumentException naming the path and what was expected when nothing usable is there
     */
    public static Located locate(URI model, String checkpoint, Configuration hadoop) {
        Path p = new Path(model);
        try (FileSystem fs = FileSystem.newInstance(p.toUri(), hadoop)) {
            p = fs.makeQualified(p);
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("model " + p + " (--model) does not exist; give a run directory or "
                        + "a model.zip");
            }
            FileStatus st = fs.getFileStatus(p);
            if (st.isDirectory()) {
                return inRun(p, checkpoint, hadoop);
            }
            if (!checkpoint.isEmpty()) {
                throw new IllegalArgumentException("--checkpoint " + checkpoint + " needs a run directory as --model, "
                        + "not the file " + p);
            }
            Path dir = p.getParent();
            Path runDir = null;
            String which = "file";
            if (fs.exists(new Path(dir, TrainLoop.RESOLVED))) {
                runDir = dir;
                which = TrainLoop.MODEL.equals(p.getName()) ? "final" : "file";
            } else if (EPOCH.matcher(dir.getName()).matches() && dir.getParent() != null
                    && Checkpoints.DIR.equals(dir.getParent().getName())
                    && fs.exists(new Path(dir.getParent().getParent(), TrainLoop.RESOLVED))) {
                runDir = dir.getParent().getParent();
                which = dir.getName();
            }
            if (runDir == null) {
                throw new IllegalArgumentException("model " + p + " has no " + TrainLoop.RESOLVED + " beside it (nor is "
                        + "it a checkpoint of a run directory): the run's settings are needed to evaluate it; give the "
                        + "run directory as --model");
            }
            return new Located(p, runDir, which, read(fs, new Path(runDir, TrainLoop.RESOLVED)),
                    io.protospark.data.shard.Checksums.sha256(fs, p));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model " + model + ": " + e.getMessage(), e);
        }
    }

    private static Located inRun(Path dir, String checkpoint, Configuration hadoop) throws IOException {
        try (RunDirectory run = RunDirectory.open(dir.toUri(), hadoop)) {
            if (!run.exists(TrainLoop.RESOLVED)) {
                throw new IllegalArgumentException("run directory " + dir + " (--model) holds no " + TrainLoop.RESOLVED
                        + ": not a protospark run directory");
            }
            String resolved = run.readText(TrainLoop.RESOLVED);
            String name;
            String rel;
            if (checkpoint.isEmpty() || checkpoint.equals("final")) {
                if (!run.exists(TrainLoop.MODEL)) {
                    throw new IllegalArgumentException("run directory " + dir + " has no final " + TrainLoop.MODEL
                            + " (the run has not finished); give --checkpoint last, best or epoch-N; it has "
                            + Checkpoints.names(run));
                }
                name = "final";
                rel = TrainLoop.MODEL;
            } else {
                name = choose(run, checkpoint, resolved);
                String problem = Checkpoints.verify(run, name);
                if (problem != null) {
                    throw new IllegalArgumentException("checkpoint " + run.path(Checkpoints.DIR + "/" + name)
                            + " cannot be used: " + problem);
                }
                rel = Checkpoints.DIR + "/" + name + "/" + Checkpoints.MODEL;
            }
            Path model = run.path(rel);
            return new Located(model, run.root(), name, resolved,
                    io.protospark.data.shard.Checksums.sha256(run.fs(), model));
        }
    }

    private static String choose(RunDirectory run, String checkpoint, String resolved) {
        List<String> names = Checkpoints.names(run);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("run directory " + run.root() + " has no checkpoints (--checkpoint "
                    + checkpoint + ")");
        }
        switch (checkpoint) {
            case "last" -> {
                for (String n : names) {
                    if (Checkpoints.verify(run, n) == null) {
                        return n;
                    }
                }
                throw new IllegalArgumentException("no checkpoint of " + run.root() + " is intact: " + names);
            }
            case "best" -> {
                boolean larger = !"min".equals(com.typesafe.config.ConfigFactory.parseString(resolved)
                        .resolve().getString("protospark.train.checkpoint.mode"));
                String best = null;
                double bestValue = Double.NaN;
                List<String> unscored = new ArrayList<>();
                for (String n : names) { // newest first: ties go to the newer checkpoint
                    Double v = Checkpoints.monitorOf(run, n);
                    if (v == null) {
                        unscored.add(n);
                    } else if (best == null || (larger ? v > bestValue : v < bestValue)) {
                        best = n;
                        bestValue = v;
                    }
                }
                if (best == null) {
                    throw new IllegalArgumentException("no checkpoint of " + run.root() + " recorded a monitored value: "
                            + unscored);
                }
                return best;
            }
            default -> {
                if (!EPOCH.matcher(checkpoint).matches() && !checkpoint.matches("epoch-\\d+")) {
                    throw new IllegalArgumentException("--checkpoint must be last, best or epoch-N, got '" + checkpoint
                            + "'");
                }
                String name = Checkpoints.name(Integer.parseInt(checkpoint.substring("epoch-".length())));
                if (!names.contains(name)) {
                    throw new IllegalArgumentException("run directory " + run.root() + " has no checkpoint " + name
                            + "; it keeps " + names);
                }
                return name;
            }
        }
    }

    /** SHA-256 of a data set's manifest (every shard's path, split and hash), as training records it. */
    public static String dataSha256(Manifest manifest) {
        return Resume.dataSha256(manifest);
    }

    /** The metrics a run recorded ({@value TrainLoop#METRICS}), one JSON object per epoch; empty when none. */
    public static List<JsonNode> metrics(Path runDir, Configuration hadoop) {
        try (RunDirectory run = RunDirectory.open(runDir.toUri(), hadoop)) {
            if (!run.exists(TrainLoop.METRICS)) {
                return List.of();
            }
            List<JsonNode> out = new ArrayList<>();
            for (String line : run.readText(TrainLoop.METRICS).split("\n")) {
                if (!line.isBlank()) {
                    out.add(Json.MAPPER.readTree(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the metrics of " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static String read(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
