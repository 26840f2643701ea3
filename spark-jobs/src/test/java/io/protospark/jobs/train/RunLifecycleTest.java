package io.protospark.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.jobs.FashionSubset;
import io.protospark.jobs.TrainJob;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.spark.SharedSpark;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints, resume and the run lock on the shared local Spark session: a run stopped right after a checkpoint and
 * started again with the same command ends bit for bit where the uninterrupted run ends.
 */
class RunLifecycleTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;

    /** Thrown by a listener to stop a run in-process right after a checkpoint, as a kill of the driver would. */
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Everything that carries state across epochs: Adam (moments, bias correction by the global step), a cosine
     * schedule stepped per iteration, dynamic assignment from a random start with the class memory folded in on the
     * workers, two workers averaging every 3 minibatches.
     */
    private static final String[] STATEFUL = {"train.epochs=3", "train.workers=2", "train.batch-size=32",
        "train.averaging-frequency=3", "train.assignment.mode=dynamic", "train.assignment.initial=random",
        "train.assignment.momentum=0.5", "model.optimizer.schedule=cosine",
        "model.optimizer.schedule-unit=iteration", "train.progress.every-seconds=1"};

    @BeforeAll
    static void start() throws Exception {
        spark = SharedSpark.session();
        Path raw = FashionSubset.write(tmp.resolve("raw"), 600, 200);
        data = tmp.resolve("data");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test",
                List.of("prepare.input=\"" + raw + "\"", "prepare.output=\"" + data + "\""))), spark);
    }

    private static TrainJob.Settings settings(Path runDir, String... overrides) {
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + runDir + "\""));
        o.addAll(List.of(overrides));
        return TrainJob.Settings.from(Configs.load(null, "test", o));
    }

    private static TrainLoop.Result train(Path runDir, List<TrainLoop.Listener> listeners, String... overrides) {
        TrainJob.Settings s = settings(runDir, overrides);
        return TrainLoop.run(s.train(), s.model(), s.resolved(), spark, List.of(), listeners);
    }

    private static TrainLoop.Result train(Path runDir, String... overrides) {
        return train(runDir, List.of(), overrides);
    }

    private static ComputationGraph model(Path runDir) throws Exception {
        return ModelSerializer.restoreComputationGraph(runDir.resolve(TrainLoop.MODEL).toFile(), true);
    }

    /** metrics.jsonl without the wall-clock fields (the round costs are times too). */
    private static List<JsonNode> metrics(Path runDir) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(TrainLoop.METRICS))) {
            ObjectNode n = (ObjectNode) Json.MAPPER.readTree(line);
            n.remove(List.of("seconds", "train_examples_per_second", "rounds"));
            out.add(n);
        }
        return out;
    }

    private static JsonNode provenance(Path runDir) throws Exception {
        return Json.MAPPER.readTree(runDir.resolve(TrainLoop.PROVENANCE).toFile());
    }

    @Test
    void aRunStoppedAfterACheckpointAndStartedAgainEndsBitForBitLikeTheUninterruptedRun() throws Exception {
        Path whole = tmp.resolve("whole");
        TrainLoop.Result a = train(whole, STATEFUL);
        assertEquals(3, a.epochs().size());
        assertFalse(a.alreadyComplete());

        Path stopped = tmp.resolve("stopped");
        List<String> seen = new ArrayList<>();
        TrainLoop.Listener stopAfterFirst = (metrics, checkpoint) -> {
            seen.add(checkpoint);
            if (metrics.epoch() == 1) {
                throw new Stop();
            }
        };
        assertThrows(Stop.class, () -> train(stopped, List.of(stopAfterFirst), STATEFUL));
        assertEquals(List.of("epoch-0001"), seen);
        assertEquals("failed", provenance(stopped).get("status").asText());
        assertFalse(Files.exists(stopped.resolve(RunLock.NAME)), "the lock is released when the driver stops");

        TrainLoop.Result b = train(stopped, STATEFUL);
        assertFalse(b.alreadyComplete());
        assertEquals(3, b.epochs().size(), "the continued run reports all its epochs");
        JsonNode prov = provenance(stopped);
        assertEquals("completed", prov.get("status").asText());
        assertEquals(1, prov.at("/resumes/0/from_epoch").asInt(), prov.toString());

        ComputationGraph ma = model(whole);
        ComputationGraph mb = model(stopped);
        assertArrayEquals(ma.params().data().asFloat(), mb.params().data().asFloat(), "parameters bit for bit");
        assertArrayEquals(ma.getUpdater().getStateViewArray().data().asFloat(),
                mb.getUpdater().getStateViewArray().data().asFloat(), "updater state bit for bit");
        assertEquals(ma.getConfiguration().getIterationCount(), mb.getConfiguration().getIterationCount());
        assertEquals(metrics(whole), metrics(stopped), "metrics but the wall-clock fields");
        assertArrayEquals(Files.readAllBytes(whole.resolve(TrainLoop.ASSIGNMENT)),
                Files.readAllBytes(stopped.resolve(TrainLoop.ASSIGNMENT)), "the same assignment in force");

        // kept: the two newest and the best by val_accuracy (one of them or a third)
        List<String> kept = new ArrayList<>();
        prov.get("checkpoints").forEach(n -> kept.add(n.asText()));
        assertTrue(kept.containsAll(List.of("checkpoints/epoch-0003", "checkpoints/epoch-0002")), kept.toString());
        try (var dirs = Files.list(stopped.resolve(Checkpoints.DIR))) {
            assertEquals(kept.size(), dirs.count(), "only the kept checkpoints remain on disk");
        }

        // started once more: a completed run is a no-op
        long before = Files.getLastModifiedTime(stopped.resolve(TrainLoop.MODEL)).toMillis();
        TrainLoop.Result again = train(stopped, STATEFUL);
        assertTrue(again.alreadyComplete());
        assertEquals(b.testAccuracy(), again.testAccuracy());
        assertEquals(before, Files.getLastModifiedTime(stopped.resolve(TrainLoop.MODEL)).toMillis());

        // another configuration is refused, naming the key; more epochs extend the run
        SettingsException changed = assertThrows(SettingsException.class, () -> train(stopped,
                concat(STATEFUL, "model.optimizer.learning-rate=0.5")));
        assertEquals("protospark.model.optimizer.learning-rate", changed.key());
        assertTrue(changed.getMessage().contains("now: 0.5"), changed.getMessage());
    }

    @Test
    void aTamperedCheckpointIsSkippedForThePreviousOne() throws Exception {
        Path run = tmp.resolve("tampered");
        train(run, "train.epochs=2", "train.workers=2", "train.batch-size=64", "train.averaging-frequency=5");
        try (RunDirectory dir = RunDirectory.open(run.toUri(), new Configuration())) {
            assertEquals(List.of("epoch-0002", "epoch-0001"), Checkpoints.names(dir));
            assertEquals(null, Checkpoints.verify(dir, "epoch-0002"));
            Path state = run.resolve("checkpoints/epoch-0002/" + Checkpoints.STATE);
            Files.writeString(state, Files.readString(state).replace("\"step\"", "\"step\" "));
            String problem = Checkpoints.verify(dir, "epoch-0002");
            assertNotNull(problem);
            assertTrue(problem.contains("file state.json has SHA-256"), problem);
            assertEquals("epoch-0001", Checkpoints.newestValid(dir).orElseThrow().name());
        }
    }

    @Test
    void resumeModesAndTheLock() throws Exception {
        Path empty = tmp.resolve("empty");
        SettingsException require = assertThrows(SettingsException.class,
                () -> train(empty, "train.resume=require"));
        assertEquals("protospark.train.resume", require.key());

        Path held = tmp.resolve("held");
        Files.createDirectories(held);
        try (RunDirectory dir = RunDirectory.open(held.toUri(), new Configuration());
             RunLock lock = RunLock.acquire(dir, Duration.ofSeconds(30))) {
            assertNotNull(lock);
            RunLock.HeldException e = assertThrows(RunLock.HeldException.class,
                    () -> RunLock.acquire(dir, Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains("in use by another driver") && e.getMessage().contains(held.toString()),
                    e.getMessage());
            // the run command itself is refused the same way, before anything is written
            assertThrows(TrainLoop.RunDirectoryInUseException.class, () -> train(held));
            assertEquals(List.of(RunLock.NAME), dir.list(""));
        }
        // a killed driver's lock: its heartbeat stopped long ago
        Path stale = held.resolve(RunLock.NAME);
        Files.writeString(stale, "{\"owner\": \"1@gone\", \"token\": \"t\", \"since\": \"2026-01-01T00:00:00Z\"}\n");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
                - 120_000));
        try (RunDirectory dir = RunDirectory.open(held.toUri(), new Configuration());
             RunLock lock = RunLock.acquire(dir, Duration.ofSeconds(60))) {
            assertFalse(Files.readString(stale).contains("1@gone"), "taken over");
        }
        assertFalse(Files.exists(stale), "released");

        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "mine");
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> train(other));
        assertTrue(foreign.getMessage().contains("no protospark run"), foreign.getMessage());
    }

    @Test
    void aDivergingRunStopsWithADiagnosisAndIsRecordedAsFailed() throws Exception {
        Path run = tmp.resolve("diverges");
        TrainLoop.DivergedException e = assertThrows(TrainLoop.DivergedException.class, () -> train(run,
                "train.epochs=2", "train.workers=2", "model.optimizer.name=sgd",
                "model.optimizer.learning-rate=1e30"));
        assertTrue(e.getMessage().contains("diverged in epoch 1"), e.getMessage());
        JsonNode prov = provenance(run);
        assertEquals("failed", prov.get("status").asText());
        assertTrue(prov.get("reason").asText().contains("diverged"), prov.toString());
        assertFalse(Files.exists(run.resolve(TrainLoop.MODEL)));
    }

    /** Poisons a worker's parameters once, at its first step past {@code AT}, as an exploding update would. */
    static final class PoisonOnce implements org.deeplearning4j.spark.api.TrainingHook {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.AtomicBoolean FIRED = new java.util.concurrent.atomic.AtomicBoolean();
        static final int AT = 12; // epoch 1 has 10 steps per worker

        private static void poison(org.deeplearning4j.nn.api.Model model) {
            if (model instanceof ComputationGraph g && g.getConfiguration().getIterationCount() >= AT
                    && FIRED.compareAndSet(false, true)) {
                g.params().assign(Double.NaN);
            }
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
            poison(model);
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch,
                              org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch,
                               org.deeplearning4j.nn.api.Model model) {
            poison(model);
        }
    }

    @Test
    void withRollbackADivergedEpochIsTrainedAgainFromTheLastCheckpointAtAHalvedRate() throws Exception {
        Path run = tmp.resolve("rollback");
        PoisonOnce.FIRED.set(false);
        TrainJob.Settings s = settings(run, "train.epochs=3", "train.workers=2", "train.batch-size=32",
                "train.averaging-frequency=3", "train.on-divergence=rollback");
        TrainLoop.Result r = TrainLoop.run(s.train(), s.model(), s.resolved(), spark, List.of(new PoisonOnce()),
                List.of());
        assertTrue(PoisonOnce.FIRED.get(), "the poison was applied");
        assertEquals(3, r.epochs().size());
        JsonNode prov = provenance(run);
        assertEquals("completed", prov.get("status").asText());
        assertEquals(1, prov.get("rollbacks").size(), prov.toString());
        assertEquals("epoch-0001", prov.at("/rollbacks/0/to_checkpoint").asText());
        assertEquals(0.5, prov.at("/rollbacks/0/lr_scale").asDouble());
        assertTrue(prov.at("/rollbacks/0/reason").asText().contains("epoch 2, averaging round"), prov.toString());
        List<JsonNode> lines = metrics(run);
        assertEquals(3, lines.size());
        double lr1 = lines.get(0).get("learning_rate").asDouble();
        assertEquals(lr1 * 0.5, lines.get(1).get("learning_rate").asDouble(), 1e-15, "halved after the rollback");
        assertEquals(lr1 * 0.5, lines.get(2).get("learning_rate").asDouble(), 1e-15);
        assertTrue(Double.isFinite(lines.get(2).get("train_loss").asDouble()));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
