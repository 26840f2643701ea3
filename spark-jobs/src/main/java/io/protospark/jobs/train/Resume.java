package io.protospark.jobs.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;
import io.protospark.jobs.common.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@code train} does with its run directory ({@code protospark.train.resume}): start a run in a new or empty
 * one; continue an unfinished run (provenance {@code running} or {@code failed}) with the same configuration from its
 * newest complete checkpoint; do nothing for a run that completed (or continue it when {@code train.epochs} grew).
 * Everything is decided before Spark trains anything, and a configuration that differs is refused naming the keys.
 */
final class Resume {
    /** What this start does. */
    enum Kind {
        NEW,
        CONTINUE,
        COMPLETE
    }

    /**
     * @param from       the checkpoint to continue from (CONTINUE), or null to train from the start again (an
     *                   unfinished run killed before its first checkpoint)
     * @param provenance the run's provenance so far (CONTINUE and COMPLETE), or null for a new run
     * @param metrics    the completed run's metrics.jsonl (COMPLETE)
     */
    record Plan(Kind kind, Checkpoints.Loaded from, Map<String, Object> provenance, String metrics) {
    }

    /**
     * Keys that may differ between the run and a start that continues it: where it runs (Spark settings, the run
     * directory), how it is kept (checkpoints, lock, progress lines, divergence handling, resume itself, the report
     * written at the end) and the number of epochs (which may grow). Every other key must be the same.
     */
    static final List<String> MAY_DIFFER = List.of("protospark.spark", "protospark.train.run-dir",
            "protospark.train.epochs", "protospark.train.resume", "protospark.train.checkpoint",
            "protospark.train.lock-timeout-seconds", "protospark.train.progress",
            "protospark.train.on-divergence", "protospark.train.divergence",
            // whether the report is written after the run (it reads the run's files, never changes them)
            "protospark.train.report",
            // the other commands' keys, which training never reads
            "protospark.evaluate", "protospark.embed", "protospark.prototypes", "protospark.assign",
            "protospark.prepare", "protospark.report");

    private Resume() {
    }

    /** The keys that identify a run's training, as {@code key = value} lines, sorted. */
    static String identity(Config resolved) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : flatten(resolved).entrySet()) {
            sb.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    /** SHA-256 of the data set's manifest (every shard's path, split and hash). */
    static String dataSha256(Manifest manifest) {
        StringBuilder sb = new StringBuilder(manifest.format()).append('\n');
        for (Manifest.ShardFile f : manifest.files()) {
            sb.append(f.path()).append(' ').append(f.split()).append(' ').append(f.sha256()).append('\n');
        }
        return Checkpoints.sha256(sb.toString());
    }

    private static Map<String, String> flatten(Config resolved) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : resolved.getConfig(Configs.ROOT).atPath(Configs.ROOT).entrySet()) {
            String key = e.getKey();
            if (MAY_DIFFER.stream().anyMatch(p -> key.equals(p) || key.startsWith(p + "."))) {
                continue;
            }
            out.put(key, e.getValue().render(ConfigRenderOptions.concise()));
        }
        return out;
    }

    static Plan plan(RunDirectory run, TrainSettings.ResumeMode mode, int epochs, Config resolved, String dataSha256) {
        List<String> present = new ArrayList<>(run.list(""));
        present.remove(RunLock.NAME);
        present.removeIf(n -> n.startsWith("dl4j-memory-crash-dump"));
        if (present.isEmpty()) {
            if (mode == TrainSettings.ResumeMode.REQUIRE) {
                throw new SettingsException("protospark.train.resume", "require: there is no run to continue in "
                        + run.uri() + " (it is empty)");
            }
            return new Plan(Kind.NEW, null, null, null);
        }
        if (mode == TrainSettings.ResumeMode.NEVER) {
            throw new IllegalArgumentException("run directory " + run.uri() + " already holds a run; give a new "
                    + "directory with --run-dir (protospark.train.resume = never: runs are never continued)");
        }
        if (!present.contains(TrainLoop.PROVENANCE) || !present.contains(TrainLoop.RESOLVED)) {
            throw new IllegalArgumentException("run directory " + run.uri() + " holds " + present.subList(0,
                    Math.min(5, present.size())) + " but no protospark run (" + TrainLoop.PROVENANCE + " and "
                    + TrainLoop.RESOLVED + " are missing); give a new or empty directory with --run-dir");
        }
        Map<String, Object> provenance = readProvenance(run);
        Config stored;
        try {
            stored = ConfigFactory.parseString(run.readText(TrainLoop.RESOLVED)).resolve();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read " + run.path(TrainLoop.RESOLVED) + " of the run to "
                    + "continue: " + e.getMessage(), e);
        }
        Map<String, String> was = flatten(stored);
        Map<String, String> now = flatten(resolved);
        TreeSet<String> keys = new TreeSet<>(was.keySet());
        keys.addAll(now.keySet());
        List<String> differ = new ArrayList<>();
        for (String k : keys) {
            if (!java.util.Objects.equals(was.get(k), now.get(k))) {
                differ.add(k + " (run: " + was.getOrDefault(k, "unset") + ", now: " + now.getOrDefault(k, "unset")
                        + ")");
            }
        }
        if (!differ.isEmpty()) {
            throw new SettingsException(differ.get(0).substring(0, differ.get(0).indexOf(' ')),
                    "the run in " + run.uri() + " was started with another configuration; it continues only with the "
                            + "same one (train.epochs may grow). Differing: " + String.join("; ", differ)
                            + ". Start a new run with another --run-dir, or use the run's own settings");
        }
        int storedEpochs = stored.getInt("protospark.train.epochs");
        String status = String.valueOf(provenance.get("status"));
        if ("completed".equals(status)) {
            String metrics = run.exists(TrainLoop.METRICS) ? run.readText(TrainLoop.METRICS) : "";
            int done = (int) metrics.lines().filter(l -> !l.isBlank()).count();
            if (epochs == done || epochs == storedEpochs) {
                return new Plan(Kind.COMPLETE, null, provenance, metrics);
            }
            if (epochs < done) {
                throw new SettingsException("protospark.train.epochs", "a completed run can only be extended",
                        epochs, "the run in " + run.uri() + " completed " + done + " epochs");
            }
        }
        Checkpoints.Loaded from = Checkpoints.newestValid(run).orElse(null);
        if (from != null) {
            if (from.state().epoch() > epochs) {
                throw new SettingsException("protospark.train.epochs", "must be at least the epochs the run has "
                        + "trained", epochs, "its newest checkpoint is " + from.name());
            }
            if (!from.state().dataSha256().equals(dataSha256)) {
                throw new SettingsException("protospark.train.data", "must hold the data the run trained on; its "
                        + "manifest changed since checkpoint " + from.name(), resolved.getString("protospark.train.data"),
                        "prepare the data again as it was, or start a new run with another --run-dir");
            }
        } else if ("completed".equals(status)) {
            throw new IllegalArgumentException("the completed run in " + run.uri() + " cannot be extended to "
                    + epochs + " epochs: it has no usable checkpoint");
        }
        return new Plan(Kind.CONTINUE, from, provenance, null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readProvenance(RunDirectory run) {
        try {
            return Json.MAPPER.readValue(run.readText(TrainLoop.PROVENANCE), java.util.LinkedHashMap.class);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read " + run.path(TrainLoop.PROVENANCE) + " of the run to "
                    + "continue: " + e.getMessage(), e);
        }
    }
}
