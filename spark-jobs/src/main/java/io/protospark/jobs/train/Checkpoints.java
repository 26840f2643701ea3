package io.protospark.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.protospark.jobs.common.Json;
import io.protospark.model.assign.ClassMemory;
import io.protospark.model.io.Npy;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A run's checkpoints: {@code <run-dir>/checkpoints/epoch-NNNN/}, each holding everything the loop needs to continue
 * exactly after epoch NNNN: {@value #MODEL} (the network with its updater state; its configuration carries the
 * iteration and epoch counts and CoMHE's learned projections), {@value #STATE} (epoch, global step, the per-iteration
 * schedule's steps per epoch, seed, hashes of the configuration and of the data, the assignment in force, the
 * monitored metric and the learning rate's factor after rollbacks), {@value #MEMORY} (dynamic assignment's class memory, when there is one) and {@value #METRICS}
 * (the run's metrics so far). {@value #INDEX} lists each file's SHA-256 and is written last; the directory is written
 * under a hidden temporary name and published with one rename, so a checkpoint either exists whole or not at all, and
 * a checkpoint whose files do not match their hashes is never used.
 */
final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    static final String DIR = "checkpoints";
    static final String INDEX = "checkpoint.json";
    static final String MODEL = "model.zip";
    static final String STATE = "state.json";
    static final String MEMORY = "class-memory.npy";
    static final String METRICS = "metrics.jsonl";
    static final String FORMAT = "protospark-checkpoint";
    private static final Pattern NAME = Pattern.compile("epoch-(\\d{4,})");

    private Checkpoints() {
    }

    /** The loop's state after an epoch (everything but the network and the metrics text). */
    record State(int epoch, long step, int stepsPerEpoch, long seed, String configSha256, String dataSha256,
                 int[] assignment, double memoryMomentum, long[] memoryUpdates, Double monitor, String monitorName,
                 double lrScale) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", epoch);
            m.put("step", step);
            m.put("steps_per_epoch", stepsPerEpoch);
            m.put("seed", seed);
            m.put("config_sha256", configSha256);
            m.put("data_sha256", dataSha256);
            m.put("assignment", assignment);
            m.put("memory_momentum", memoryMomentum);
            m.put("memory_updates", memoryUpdates);
            m.put("monitor", monitorName);
            m.put("monitor_value", monitor == null || !Double.isFinite(monitor) ? null : monitor);
            m.put("lr_scale", lrScale);
            return m;
        }

        static State of(JsonNode j) {
            int[] assignment = j.get("assignment").isNull() ? null : ints(j.get("assignment"));
            long[] updates = j.get("memory_updates").isNull() ? null
                    : java.util.stream.StreamSupport.stream(j.get("memory_updates").spliterator(), false)
                    .mapToLong(JsonNode::asLong).toArray();
            JsonNode mv = j.get("monitor_value");
            return new State(j.get("epoch").asInt(), j.get("step").asLong(), j.get("steps_per_epoch").asInt(),
                    j.get("seed").asLong(), j.get("config_sha256").asText(), j.get("data_sha256").asText(),
                    assignment, j.get("memory_momentum").asDouble(), updates,
                    mv == null || mv.isNull() ? null : mv.asDouble(), j.get("monitor").asText(),
                    j.path("lr_scale").asDouble(1.0));
        }

        private static int[] ints(JsonNode a) {
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).asInt();
            }
            return out;
        }
    }

    /** A checkpoint read back and verified. */
    record Loaded(String name, ComputationGraph network, State state, ClassMemory.Ema memory, String metrics) {
    }

    static String name(int epoch) {
        return String.format(java.util.Locale.ROOT, "epoch-%04d", epoch);
    }

    /**
     * Writes the checkpoint of {@code state.epoch()} aside and publishes it with one rename; returns its name. An
     * existing directory of the same name (left by a run that was killed after publishing it, then found damaged) is
     * replaced.
     */
    static String write(RunDirectory run, State state, ComputationGraph net, ClassMemory.Ema memory,
                        String metrics) {
        String name = name(state.epoch());
        String tmp = DIR + "/." + name + ".tmp-" + UUID.randomUUID();
        run.mkdirs(tmp);
        Map<String, String> files = new LinkedHashMap<>();
        files.put(MODEL, run.writeInPlace(tmp + "/" + MODEL, out -> TrainLoop.writeModel(net, out)));
        if (memory != null) {
            double[] rows = memory.rows();
            int d = memory.dim();
            files.put(MEMORY, run.writeInPlace(tmp + "/" + MEMORY, out -> Npy.writeMatrix(out, memory.classes(), d,
                    r -> java.util.Arrays.copyOfRange(rows, r * d, (r + 1) * d))));
        }
        files.put(STATE, run.writeInPlace(tmp + "/" + STATE, out -> out.write(
                Json.pretty(state.toMap()).getBytes(StandardCharsets.UTF_8))));
        files.put(METRICS, run.writeInPlace(tmp + "/" + METRICS, out -> out.write(
                metrics.getBytes(StandardCharsets.UTF_8))));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("format", FORMAT);
        index.put("version", 1);
        index.put("epoch", state.epoch());
        index.put("created", Instant.now().toString());
        index.put("sha256", files);
        run.writeInPlace(tmp + "/" + INDEX, out -> out.write(Json.pretty(index).getBytes(StandardCharsets.UTF_8)));
        String target = DIR + "/" + name;
        if (run.exists(target)) {
            run.delete(target);
        }
        run.rename(tmp, target);
        return name;
    }

    /** The checkpoints' names, newest first (only names of the form epoch-NNNN). */
    static List<String> names(RunDirectory run) {
        List<String> out = new ArrayList<>(run.list(DIR).stream().filter(n -> NAME.matcher(n).matches()).toList());
        out.sort(Comparator.comparingInt(Checkpoints::epochOf).reversed());
        return out;
    }

    static int epochOf(String name) {
        java.util.regex.Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a checkpoint name: " + name);
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The newest checkpoint whose every file matches its hash, read back; a damaged or incomplete one is skipped with
     * a warning naming the file, for the one before it. Empty when none is usable.
     */
    static Optional<Loaded> newestValid(RunDirectory run) {
        for (String name : names(run)) {
            String problem = verify(run, name);
            if (problem != null) {
                LOG.warn("checkpoint {} is not used: {}", run.path(DIR + "/" + name), problem);
                continue;
            }
            return Optional.of(load(run, name));
        }
        return Optional.empty();
    }

    /** Why checkpoint {@code name} cannot be used (a file missing, or not matching its hash), or null. */
    static String verify(RunDirectory run, String name) {
        String dir = DIR + "/" + name;
        if (!run.exists(dir + "/" + INDEX)) {
            return INDEX + " is missing";
        }
        JsonNode index;
        try {
            index = Json.MAPPER.readTree(run.readText(dir + "/" + INDEX));
        } catch (IOException | UncheckedIOException e) {
            return INDEX + " is unreadable: " + e.getMessage();
        }
        if (!FORMAT.equals(index.path("format").asText()) || !index.path("sha256").isObject()) {
            return INDEX + " is not a protospark checkpoint index";
        }
        for (String required : List.of(MODEL, STATE, METRICS)) {
            if (!index.get("sha256").has(required)) {
                return INDEX + " lists no " + required;
            }
        }
        var it = index.get("sha256").fields();
        while (it.hasNext()) {
            var e = it.next();
            String file = dir + "/" + e.getKey();
            if (!run.exists(file)) {
                return "file " + e.getKey() + " is missing";
            }
            String actual = io.protospark.data.shard.Checksums.sha256(run.fs(), run.path(file));
            if (!actual.equals(e.getValue().asText())) {
                return "file " + e.getKey() + " has SHA-256 " + actual + " but " + INDEX + " says "
                        + e.getValue().asText();
            }
        }
        return null;
    }

    private static Loaded load(RunDirectory run, String name) {
        String dir = DIR + "/" + name;
        try {
            State state = State.of(Json.MAPPER.readTree(run.readText(dir + "/" + STATE)));
            ComputationGraph net;
            try (InputStream in = run.open(dir + "/" + MODEL)) {
                net = TrainLoop.readModel(in, true);
            }
            ClassMemory.Ema memory = null;
            if (run.exists(dir + "/" + MEMORY)) {
                double[][] rows;
                try (InputStream in = run.open(dir + "/" + MEMORY)) {
                    rows = Npy.readMatrix(in, MEMORY);
                }
                int d = rows.length == 0 ? 0 : rows[0].length;
                double[] flat = new double[rows.length * d];
                for (int r = 0; r < rows.length; r++) {
                    System.arraycopy(rows[r], 0, flat, r * d, d);
                }
                memory = ClassMemory.Ema.restore(flat, state.memoryUpdates(), rows.length, d, state.memoryMomentum());
            }
            return new Loaded(name, net, state, memory, run.readText(dir + "/" + METRICS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + run.path(dir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes the checkpoints that are neither among the newest {@code keepLast} nor among the {@code keepBest} best by
     * their monitored value ({@code larger} better or not), and any left-over temporary directories; returns the
     * names kept, newest first.
     */
    static List<String> retain(RunDirectory run, int keepLast, int keepBest, boolean larger) {
        List<String> names = names(run);
        Set<String> keep = new LinkedHashSet<>(names.subList(0, Math.min(keepLast, names.size())));
        if (keepBest > 0) {
            List<Map.Entry<String, Double>> scored = new ArrayList<>();
            for (String n : names) {
                Double v = monitorOf(run, n);
                if (v != null) {
                    scored.add(Map.entry(n, v));
                }
            }
            Comparator<Map.Entry<String, Double>> byValue = Map.Entry.comparingByValue();
            // ties go to the newer checkpoint
            scored.sort((larger ? byValue.reversed() : byValue)
                    .thenComparing(e -> -epochOf(e.getKey())));
            scored.stream().limit(keepBest).forEach(e -> keep.add(e.getKey()));
        }
        for (String n : names) {
            if (!keep.contains(n)) {
                run.delete(DIR + "/" + n);
            }
        }
        for (String n : run.list(DIR)) {
            if (n.startsWith(".") && n.contains(".tmp-")) {
                run.delete(DIR + "/" + n); // a checkpoint whose writer was killed
            }
        }
        return names.stream().filter(keep::contains).toList();
    }

    /** The monitored value a checkpoint recorded, or null when it has none or is unreadable. */
    static Double monitorOf(RunDirectory run, String name) {
        try {
            JsonNode v = Json.MAPPER.readTree(run.readText(DIR + "/" + name + "/" + STATE)).get("monitor_value");
            return v == null || v.isNull() ? null : v.asDouble();
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    /** SHA-256 (hex) of a text. */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
