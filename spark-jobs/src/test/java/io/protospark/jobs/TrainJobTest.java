package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.Configs;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.jobs.spark.SharedSpark;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.model.energy.EnergyRegularization;
import io.protospark.model.io.Npy;
import io.protospark.model.net.FixedHead;
import io.protospark.model.prototype.PrototypeSet;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** prepare → train end to end on the shared local Spark session of the tests ({@link SharedSpark}, two cores). */
class TrainJobTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        spark = SharedSpark.session();
        Path raw = FashionSubset.write(tmp.resolve("raw"), 600, 200);
        data = tmp.resolve("data");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test",
                List.of("prepare.input=\"" + raw + "\"", "prepare.output=\"" + data + "\""))), spark);
    }

    private static TrainLoop.Result train(Path runDir, String... overrides) {
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + runDir + "\""));
        o.addAll(List.of(overrides));
        return TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", o)), spark);
    }

    @Test
    void trainsOnTwoWorkersAndWritesEveryRunFile() throws Exception {
        Path run = tmp.resolve("run-2w");
        TrainLoop.Result r = train(run, "train.epochs=3", "train.workers=2", "train.batch-size=32",
                "train.averaging-frequency=3");
        assertEquals(2, r.workers());
        assertEquals(3, r.epochs().size());
        // 10 classes: chance is 0.1; a few hundred examples for three epochs must do clearly better
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());

        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        assertEquals(3, lines.size());
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 3; i++) {
            JsonNode m = json.readTree(lines.get(i));
            assertEquals(i + 1, m.get("epoch").asInt());
            for (String key : List.of("train_loss", "val_accuracy", "seconds", "val_loss")) {
                assertTrue(m.get(key).isNumber(), key + " in " + lines.get(i));
            }
            assertEquals(600, m.get("train_examples").asLong(), "every example trained once per epoch");
            assertRoundCosts(m, lines.get(i));
        }
        double firstLoss = json.readTree(lines.get(0)).get("train_loss").asDouble();
        double lastLoss = json.readTree(lines.get(2)).get("train_loss").asDouble();
        assertTrue(lastLoss < firstLoss, "training loss fell: " + firstLoss + " -> " + lastLoss);

        double[][] saved;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.PROTOTYPES))) {
            saved = Npy.readMatrix(in, "prototypes.npy");
        }
        assertTrue(java.util.Arrays.deepEquals(PrototypeSet.simplex(10).matrix(), saved));

        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), true);
        assertTrue(model.getUpdater().getStateViewArray() != null, "updater state saved with the model");
        assertEquals(expectedHead(), FixedHead.weights(model));

        ConfigFactory.parseFile(run.resolve(TrainLoop.RESOLVED).toFile()).resolve();
        JsonNode prov = json.readTree(run.resolve(TrainLoop.PROVENANCE).toFile());
        assertEquals("completed", prov.get("status").asText());
        assertEquals(64, prov.at("/data/files/0/sha256").asText().length());
        assertFalse(prov.at("/build/dl4j.version").asText().isEmpty());
        try (var files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".tmp-")), "no temp files left");
        }
        // the run's report, written at the end (protospark.train.report = true by default)
        assertTrue(Files.size(run.resolve("report").resolve("report.html")) > 0, "report.html written");
        assertTrue(Files.exists(run.resolve("report").resolve("loss.png")), "training curves drawn");
    }

    /** The {@code rounds} object of a metrics line, for 2 workers, averaging every 3 minibatches of 32 of 600 rows. */
    private static void assertRoundCosts(JsonNode m, String line) {
        JsonNode r = m.get("rounds");
        assertTrue(r != null && r.isObject(), "rounds in " + line);
        int minibatches = r.get("minibatches_per_worker").asInt();
        assertTrue(minibatches >= 10, "300 rows per worker are at least 10 minibatches of 32: " + line);
        assertEquals((minibatches + 2) / 3, r.get("count").asInt(), "one round per 3 minibatches: " + line);
        assertEquals(2, r.get("workers").asInt());
        assertEquals(2, r.get("aggregation_depth").asInt(), "DL4J's default treeAggregate depth");
        assertTrue(r.get("bytes_out_per_round").asLong() > 0 && r.get("bytes_back_per_round").asLong() > 0, line);
        for (String phase : List.of("round_ms", "broadcast_ms", "count_ms", "job_ms", "slowest_worker_ms",
                "straggler_ms", "job_overhead_ms", "average_ms", "driver_ms")) {
            JsonNode p = r.get(phase);
            double sum = p.get("sum").asDouble();
            double median = p.get("median").asDouble();
            double max = p.get("max").asDouble();
            assertTrue(median >= 0 && max >= median && sum >= max, phase + " sum >= max >= median >= 0: " + line);
        }
        assertEquals(0.0, r.at("/count_ms/sum").asDouble(), "the driver hands each round's size to DL4J, which then "
                + "runs no count job of its own: " + line);
        double roundSum = r.at("/round_ms/sum").asDouble();
        assertTrue(roundSum > 0 && roundSum <= m.get("seconds").asDouble() * 1000, "rounds inside the epoch: " + line);
        // DL4J's times are whole milliseconds: each within the round's wall time, give or take that rounding
        double parts = r.at("/job_ms/sum").asDouble() + r.at("/count_ms/sum").asDouble()
                + r.at("/broadcast_ms/sum").asDouble() + r.at("/average_ms/sum").asDouble();
        assertTrue(parts <= roundSum + r.get("count").asInt() * 4, "phases within the rounds: " + line);
        assertTrue(r.at("/job_ms/sum").asDouble() > 0, "the training job took time: " + line);
        JsonNode w = r.get("worker_ms");
        // one task per worker per round; hash partitioning may leave a worker without minibatches in a late round
        int tasks = w.get("tasks").asInt();
        assertTrue(tasks > r.get("count").asInt() && tasks <= 2 * r.get("count").asInt(), "worker tasks: " + line);
        assertTrue(w.get("min").asDouble() >= 0 && w.get("median").asDouble() >= w.get("min").asDouble()
                && w.get("max").asDouble() >= w.get("median").asDouble(), "worker min <= median <= max: " + line);
        assertTrue(r.at("/slowest_worker_ms/max").asDouble() == w.get("max").asDouble(), line);
        assertTrue(r.at("/slowest_worker_ms/sum").asDouble() <= r.at("/job_ms/sum").asDouble()
                + r.get("count").asInt() * 2, "the slowest worker runs inside the job: " + line);
        assertTrue(r.get("reapply_ms").asDouble() > 0, "the fixed head is re-applied: " + line);
    }

    @Test
    void prototypesStayBitIdenticalWithThreeWorkers() throws Exception {
        Path run = tmp.resolve("run-3w");
        train(run, "train.epochs=2", "train.workers=3", "train.batch-size=16", "train.averaging-frequency=2",
                "model.optimizer.weight-decay=1e-4");
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), true);
        assertEquals(expectedHead(), FixedHead.weights(model), "prototype matrix changed in training");
    }

    @Test
    void learnedSoftmaxHeadTrainsTheSameNetwork() throws Exception {
        Path run = tmp.resolve("run-learned");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "model.head.kind=learned",
                "train.report=false");
        assertTrue(r.testAccuracy() > 0.2, "test accuracy " + r.testAccuracy());
        assertFalse(Files.exists(run.resolve(TrainLoop.PROTOTYPES)), "no prototypes for a learned head");
        assertFalse(Files.exists(run.resolve("report")), "no report with train.report = false");
    }

    @Test
    void refusesAnExistingRunAndDataThatDoesNotFitTheModel() throws Exception {
        Path used = tmp.resolve("used");
        Files.createDirectories(used);
        Files.writeString(used.resolve("metrics.jsonl"), "{}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train(used));
        assertTrue(e.getMessage().contains(used.toString()) && e.getMessage().contains("no protospark run"),
                e.getMessage());

        var s = assertThrows(io.protospark.config.SettingsException.class,
                () -> train(tmp.resolve("r5"), "model.classes=5", "model.embedding-dim=4"));
        assertEquals("protospark.model.classes", s.key());
        assertTrue(s.getMessage().contains("the data has 10"), s.getMessage());
        assertFalse(Files.exists(tmp.resolve("r5")), "nothing written for a refused run");

        var split = assertThrows(io.protospark.config.SettingsException.class,
                () -> train(tmp.resolve("r6"), "train.eval-split=validation"));
        assertEquals("protospark.train.eval-split", split.key());
        assertTrue(split.getMessage().contains("it has [test, train]"), split.getMessage());
        assertFalse(Files.exists(tmp.resolve("r6")), "nothing written for a refused run");
    }

    @Test
    void dynamicAssignmentPermutesTheHeadAndRecordsIt() throws Exception {
        Path run = tmp.resolve("run-dynamic");
        // momentum 0.5: an epoch here is 5 minibatches per worker, after which 0.9 would leave 0.9^5 = 0.59 of the
        // seeded random memory (the seed's 390 minibatches per epoch forget it)
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "train.assignment.mode=dynamic",
                "train.assignment.momentum=0.5");
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());
        ObjectMapper json = new ObjectMapper();
        List<String> epochs = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        // the minibatch memory (the default) is first re-solved after epoch 1
        assertFalse(json.readTree(epochs.get(0)).has("assignment_changed"), epochs.get(0));
        JsonNode second = json.readTree(epochs.get(1));
        assertTrue(second.get("assignment_changed").isInt(), epochs.get(1));
        assertTrue(second.get("assignment_mean_cosine").asDouble() > 0, epochs.get(1));
        int[] owned;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.ASSIGNMENT))) {
            owned = Npy.readIntVector(in, "assignment.npy");
        }
        assertEquals(10, java.util.Arrays.stream(owned).distinct().count(), "a permutation");
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        assertEquals(Nd4j.create(PrototypeSet.simplex(10).permuted(owned).matrix()).castTo(DataType.FLOAT).transpose(),
                FixedHead.weights(model), "the saved head is the prototypes in the saved assignment");
        var refused = assertThrows(io.protospark.config.SettingsException.class, () -> TrainJob.Settings.from(
                Configs.load(null, "test", List.of("train.assignment.mode=dynamic", "model.head.kind=learned",
                        "train.data=x", "train.run-dir=y"))));
        assertEquals("protospark.train.assignment.mode", refused.key());
    }

    @Test
    void dynamicAssignmentPermutesTheTargetsOfATargetLoss() throws Exception {
        // DL2PA's own combination: squared-cosine loss on the embedding, prototypes as the loss's targets
        Path run = tmp.resolve("run-dynamic-cosine");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "train.assignment.mode=dynamic",
                "train.assignment.initial=random", "train.assignment.momentum=0.5", "model.head.loss=squared-cosine");
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());
        int[] owned;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.ASSIGNMENT))) {
            owned = Npy.readIntVector(in, "assignment.npy");
        }
        assertEquals(10, java.util.Arrays.stream(owned).distinct().count(), "a permutation");
        assertTrue(java.util.stream.IntStream.range(0, 10).anyMatch(k -> owned[k] != k),
                "the first re-solve from a random start moved no class: " + java.util.Arrays.toString(owned));
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        double[][] expected = PrototypeSet.simplex(10).permuted(owned).matrix();
        double[][] held = FixedHead.read(model);
        for (int k = 0; k < 10; k++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected[k], held[k], 0.0, "target of class " + k);
        }
    }

    @Test
    void targetLossTargetsTravelByReferenceAndFollowTheAssignment() throws Exception {
        // every target matrix by reference (threshold 0): the rounds ship a reference; the assignment's permutation
        // is a new file, which replaces the previous one
        Path run = tmp.resolve("run-by-reference");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "train.assignment.mode=dynamic",
                "model.head.loss=squared-cosine", "train.targets-inline-up-to=0", "train.assignment.momentum=0.5");
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());
        JsonNode prov = new ObjectMapper().readTree(run.resolve(TrainLoop.PROVENANCE).toFile());
        assertEquals("completed", prov.get("status").asText());
        JsonNode ref = prov.at("/targets/0");
        String sha = ref.get("sha256").asText();
        Path file = Path.of(java.net.URI.create(ref.get("uri").asText()));
        assertEquals(run.resolve(io.protospark.model.targets.TargetsStore.fileName(sha)), file);
        assertEquals(List.of(10, 9), List.of(ref.at("/shape/0").asInt(), ref.at("/shape/1").asInt()));
        assertTrue(prov.at("/round/targets_by_reference").asBoolean(), prov.get("round").toString());
        assertTrue(prov.at("/round/configuration_bytes").asLong() < 50_000, prov.get("round").toString());
        try (var files = Files.list(run)) {
            assertEquals(List.of(file.getFileName().toString()), files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("targets-")).toList(), "only the current targets file is kept");
        }
        String found = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(sha, found, "named by its content");
        int[] owned;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.ASSIGNMENT))) {
            owned = Npy.readIntVector(in, "assignment.npy");
        }
        double[][] expected = PrototypeSet.simplex(10).permuted(owned).matrix();
        try (InputStream in = Files.newInputStream(file)) {
            assertTrue(java.util.Arrays.deepEquals(expected, Npy.readMatrix(in, file.toString())),
                    "the file holds the targets of the current assignment");
        }
        // model.zip stays self-contained: it loads with the targets file gone
        Files.delete(file);
        io.protospark.model.targets.TargetsStore.clear();
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        double[][] held = FixedHead.read(model);
        for (int k = 0; k < 10; k++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected[k], held[k], 0.0, "target of class " + k);
        }
    }

    @Test
    void dynamicAssignmentRecoversAHiddenLabelPermutation() throws Exception {
        // A: static training, class c learns to sit on prototype c
        Path runA = tmp.resolve("run-A");
        TrainLoop.Result a = train(runA, "train.epochs=3", "train.workers=2");
        // B: the same images under a hidden relabelling pi; fine-tuned from A with dynamic assignment, the
        // classes must take the prototypes their images already map to: sigma(pi(c)) = c, i.e. sigma = pi^-1
        int[] pi = {3, 7, 0, 9, 1, 4, 8, 2, 6, 5};
        Path rawB = tmp.resolve("raw-B");
        Files.createDirectories(rawB);
        Path rawA = tmp.resolve("raw");
        try (var files = Files.list(rawA)) {
            for (Path f : files.toList()) {
                byte[] bytes = Files.readAllBytes(f);
                if (f.getFileName().toString().contains("labels")) {
                    for (int i = 8; i < bytes.length; i++) {
                        bytes[i] = (byte) pi[bytes[i]];
                    }
                }
                Files.write(rawB.resolve(f.getFileName()), bytes);
            }
        }
        Path dataB = tmp.resolve("data-B");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test",
                List.of("prepare.input=\"" + rawB + "\"", "prepare.output=\"" + dataB + "\""))), spark);
        Path runB = tmp.resolve("run-B");
        TrainLoop.Result b = TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", List.of(
                "train.data=\"" + dataB + "\"", "train.run-dir=\"" + runB + "\"", "train.epochs=1",
                "train.workers=2", "train.assignment.mode=dynamic", "train.assignment.memory=epoch-pass",
                "train.assignment.momentum=0", "train.init-from=\"" + runA.resolve(TrainLoop.MODEL) + "\""))), spark);
        int[] sigma;
        try (InputStream in = Files.newInputStream(runB.resolve(TrainLoop.ASSIGNMENT))) {
            sigma = Npy.readIntVector(in, "assignment.npy");
        }
        int[] inverse = new int[10];
        for (int c = 0; c < 10; c++) {
            inverse[pi[c]] = c;
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(inverse, sigma, "assignment recovered pi^-1");
        // the same from the memory the training minibatches build (DL2PA's moving average, merged over the workers'
        // copies each round): epoch 1 trains under the identity and fills the memory, the re-solve before epoch 2
        // must find pi^-1
        Path runC = tmp.resolve("run-C");
        TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", List.of(
                "train.data=\"" + dataB + "\"", "train.run-dir=\"" + runC + "\"", "train.epochs=2",
                "train.workers=2", "train.assignment.mode=dynamic", "train.assignment.memory=batches",
                "train.assignment.momentum=0.5", "train.init-from=\"" + runA.resolve(TrainLoop.MODEL) + "\""))), spark);
        try (InputStream in = Files.newInputStream(runC.resolve(TrainLoop.ASSIGNMENT))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(inverse, Npy.readIntVector(in, "assignment.npy"),
                    "assignment from the minibatch memory recovered pi^-1");
        }
        List<String> cLines = Files.readAllLines(runC.resolve(TrainLoop.METRICS));
        ObjectMapper cJson = new ObjectMapper();
        assertFalse(cJson.readTree(cLines.get(0)).has("assignment_changed"),
                "no re-solve before the first epoch's minibatches: " + cLines.get(0));
        assertEquals(10, cJson.readTree(cLines.get(1)).get("assignment_changed").asInt(), cLines.get(1));
        // the static run with the true labels, given the same extra epoch from A (a fresh optimizer state moves
        // both alike): once sigma = pi^-1, B trains the same network on the same minibatches up to a relabelling
        Path runA2 = tmp.resolve("run-A2");
        TrainLoop.Result a2 = train(runA2, "train.epochs=1", "train.workers=2",
                "train.init-from=\"" + runA.resolve(TrainLoop.MODEL) + "\"");
        assertEquals(a2.testAccuracy(), b.testAccuracy(), 0.02,
                "relabelled dynamic run " + b.testAccuracy() + " vs static run " + a2.testAccuracy()
                        + " (A alone: " + a.testAccuracy() + ")");
    }

    @Test
    void initFromAModelOfAnotherShapeIsRefused() throws Exception {
        Path small = tmp.resolve("run-small");
        train(small, "train.epochs=1", "train.workers=2", "model.hidden=[16]");
        Path run = tmp.resolve("run-mismatch");
        var e = assertThrows(io.protospark.config.SettingsException.class, () -> train(run, "train.epochs=1",
                "train.init-from=\"" + small.resolve(TrainLoop.MODEL) + "\""));
        assertEquals("protospark.train.init-from", e.key());
        assertTrue(e.getMessage().contains("same parameter shapes") && e.getMessage().contains("layer dense1 parameter W is [1568, 128] here and [1568, 16] there"),
                e.getMessage());
        try (var files = Files.list(run)) {
            assertEquals(0, files.count(), "nothing written for a refused run");
        }
    }

    @Test
    void scheduledLearningRateReachesTheWorkers() throws Exception {
        // epoch 2 trains at rate 0 (step schedule, gamma 0): if the workers use the driver's rate, the parameters
        // after two epochs are those after one, bit for bit (Adam's step is exactly lr * ..., 2-worker averages exact)
        Path one = tmp.resolve("run-lr-1");
        Path two = tmp.resolve("run-lr-2");
        String[] common = {"train.workers=2", "model.optimizer.schedule=step", "model.optimizer.milestones=[1]",
                "model.optimizer.gamma=0"};
        train(one, concat(common, "train.epochs=1"));
        train(two, concat(common, "train.epochs=2"));
        ComputationGraph a = ModelSerializer.restoreComputationGraph(one.resolve(TrainLoop.MODEL).toFile(), false);
        ComputationGraph b = ModelSerializer.restoreComputationGraph(two.resolve(TrainLoop.MODEL).toFile(), false);
        assertEquals(a.params(), b.params(), "epoch 2 at learning rate 0 changed the parameters");
        List<String> lines = Files.readAllLines(two.resolve(TrainLoop.METRICS));
        ObjectMapper json = new ObjectMapper();
        assertEquals(0.002, json.readTree(lines.get(0)).get("learning_rate").asDouble(), 1e-12);
        assertEquals(0.0, json.readTree(lines.get(1)).get("learning_rate").asDouble(), 0.0);
    }

    /**
     * Records on the workers, for every minibatch step, the network's iteration count, the rate its updater
     * configuration gives for it, and the rate the step actually used: with plain SGD (momentum 0, no decay) the
     * embedding weights move by −lr·g, so lr = ⟨Δw, g⟩/⟨g, g⟩ with g the gradient computed just before the step.
     */
    static final class RateProbe implements org.deeplearning4j.spark.api.TrainingHook {
        private static final long serialVersionUID = 1L;
        private final org.apache.spark.util.CollectionAccumulator<double[]> seen;
        private transient INDArray before;
        private transient INDArray gradient;
        private transient int iteration;

        RateProbe(org.apache.spark.util.CollectionAccumulator<double[]> seen) {
            this.seen = seen;
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch, org.deeplearning4j.nn.api.Model m) {
            ComputationGraph g = (ComputationGraph) m;
            iteration = g.getConfiguration().getIterationCount();
            before = g.getParam("embedding_W").dup();
            g.setInputs(minibatch.getFeatures());
            g.setLabels(minibatch.getLabels());
            g.computeGradientAndScore();
            // the updater divides the summed gradient by the minibatch size
            gradient = g.gradient().getGradientFor("embedding_W").dup().divi(minibatch.getFeatures(0).size(0));
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch, org.deeplearning4j.nn.api.Model m) {
            ComputationGraph g = (ComputationGraph) m;
            INDArray delta = before.sub(g.getParam("embedding_W"));
            double used = delta.castTo(DataType.DOUBLE).mul(gradient.castTo(DataType.DOUBLE)).sumNumber().doubleValue()
                    / gradient.castTo(DataType.DOUBLE).mul(gradient.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
            double configured = g.getLayer("embedding").conf().getLayer().getUpdaterByParam("W")
                    .getLearningRate(iteration, 0);
            seen.add(new double[] {iteration, configured, used});
        }
    }

    @Test
    void perIterationRateOnTheWorkersFollowsTheFormulaAcrossAveragingRounds() throws Exception {
        Path run = tmp.resolve("run-lr-iter");
        org.apache.spark.util.CollectionAccumulator<double[]> seen = spark.sparkContext().collectionAccumulator("rates");
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + run + "\"",
                "train.epochs=2", "train.workers=2", "train.batch-size=32", "train.averaging-frequency=3",
                "model.optimizer.name=sgd", "model.optimizer.momentum=0", "model.optimizer.learning-rate=0.05",
                "model.optimizer.schedule=cosine", "model.optimizer.schedule-unit=iteration",
                "model.optimizer.warmup-iterations=4"));
        TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", o)), spark, List.of(new RateProbe(seen)));

        List<double[]> steps = seen.value();
        int last = (int) steps.stream().mapToDouble(r -> r[0]).max().orElseThrow();
        int total = last + 1;
        assertEquals(0, total % 2, "two epochs of equal length: " + total + " steps");
        int perEpoch = total / 2;
        assertTrue(perEpoch > 3, "more steps per epoch than one averaging round: " + perEpoch);
        java.util.function.IntToDoubleFunction formula = i -> {
            double cosine = 0.05 * 0.5 * (1 + Math.cos(Math.PI * i / total));
            return i < 4 ? cosine * (i + 1) / 4 : cosine;
        };
        java.util.Set<Integer> iterations = new java.util.TreeSet<>();
        for (double[] r : steps) {
            int i = (int) r[0];
            iterations.add(i);
            assertEquals(formula.applyAsDouble(i), r[1], 1e-12, "configured rate at global step " + i);
            assertEquals(formula.applyAsDouble(i), r[2], 2e-3 * formula.applyAsDouble(i),
                    "rate the worker's step used at global step " + i);
        }
        // every global step 0..T-1 ran, on both workers (a shorter partition may miss an epoch's last step)
        assertEquals(total, iterations.size());
        assertTrue(steps.size() >= 2 * total - 2 && steps.size() <= 2 * total, steps.size() + " worker steps");
        // the warm-up changes the rate inside the first averaging round (steps 0, 1, 2)
        assertTrue(formula.applyAsDouble(0) < formula.applyAsDouble(1) && formula.applyAsDouble(1) < formula.applyAsDouble(2));

        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        ObjectMapper json = new ObjectMapper();
        assertEquals(formula.applyAsDouble(0), json.readTree(lines.get(0)).get("learning_rate").asDouble(), 1e-12);
        assertEquals(formula.applyAsDouble(perEpoch - 1), json.readTree(lines.get(0)).get("learning_rate_last")
                .asDouble(), 1e-12);
        assertEquals(formula.applyAsDouble(perEpoch), json.readTree(lines.get(1)).get("learning_rate").asDouble(), 1e-12);
        assertEquals(formula.applyAsDouble(total - 1), json.readTree(lines.get(1)).get("learning_rate_last").asDouble(),
                1e-12);
    }

    @Test
    void adamOnTheWorkersCountsTheRunsStepsSoItsBiasCorrectionIsNotRestartedEachRound() throws Exception {
        // DL4J restarts a worker's iteration count every averaging round; Adam's bias correction 1 - beta^t then
        // divides the warm, averaged moments as if they were fresh, shrinking every round's steps to 0.15-0.3x
        Path run = tmp.resolve("run-adam-steps");
        org.apache.spark.util.CollectionAccumulator<double[]> seen = spark.sparkContext().collectionAccumulator("adam");
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + run + "\"",
                "train.epochs=2", "train.workers=2", "train.batch-size=32", "train.averaging-frequency=3",
                "model.optimizer.name=adam", "model.optimizer.schedule=constant"));
        TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", o)), spark, List.of(new RateProbe(seen)));

        java.util.Map<Integer, Integer> workersAt = new java.util.TreeMap<>();
        for (double[] r : seen.value()) {
            workersAt.merge((int) r[0], 1, Integer::sum);
        }
        int total = workersAt.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;
        assertTrue(total > 6, "two epochs span more than two averaging rounds of 3 steps: " + workersAt);
        // each global step 0..T-1 seen once per worker, never a round's count restarting at 0
        assertEquals(total, workersAt.size(), "global steps seen: " + workersAt.keySet());
        assertTrue(workersAt.get(0) <= 2, "step 0 ran " + workersAt.get(0) + " times: " + workersAt);
    }

    @Test
    void nirvanaTargetLossTrainsAndPredictsByTheNearestCentre() throws Exception {
        Path run = tmp.resolve("run-nirvana");
        TrainLoop.Result r = train(run, "train.epochs=3", "train.workers=2", "model.head.loss=nirvana-mse",
                "model.head.prototypes=dsc-centres", "model.head.radius=5");
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        double[][] held = FixedHead.read(model);
        double[][] built = io.protospark.model.prototype.Prototypes.build(io.protospark.model.net.ModelSettings.from(
                Configs.load(null, "test", List.of("model.head.prototypes=dsc-centres", "model.head.radius=5"))))
                .matrix();
        for (int k = 0; k < built.length; k++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(built[k], held[k], 0.0, "centre " + k + " moved");
        }
        assertEquals(5.0, Math.sqrt(java.util.Arrays.stream(held[3]).map(v -> v * v).sum()), 1e-9);
    }

    @Test
    void aReferenceBackboneTrainsThroughTheSameLoop() throws Exception {
        Path run = tmp.resolve("run-lenet");
        // LeNet++ (six 5x5 convolutions) with the fast native layers, which also travel to the workers as JSON
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "model.backbone=lenet-pp",
                "model.fast-layers=true", "model.optimizer.learning-rate=5e-4");
        assertTrue(r.epochs().stream().allMatch(e -> Double.isFinite(e.trainLoss())), r.epochs().toString());
        assertTrue(r.testAccuracy() > 0.2, "test accuracy " + r.testAccuracy() + " (chance 0.1)");
        String log = Files.readString(run.resolve(TrainLoop.RESOLVED));
        assertTrue(log.contains("lenet-pp"), log);
    }

    @Test
    void sphereConvAndAnEnergyRegulariserTrainOnSparkWorkers() throws Exception {
        // the SameDiff SphereConv layers and the energy regulariser travel to the workers as JSON, and train there
        Path run = tmp.resolve("run-sphere-mhe");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "train.max-train-examples=256",
                "model.sphere.small-cnn=true", "model.sphere.operator=sigmoid", "model.energy.form=2",
                "model.energy.projection=random", "model.energy.projection-dim=8", "model.energy.projections=2");
        assertTrue(r.epochs().get(1).trainLoss() < r.epochs().get(0).trainLoss(), "training loss did not fall: "
                + r.epochs());
        assertTrue(r.testAccuracy() > 0.2, "test accuracy " + r.testAccuracy());
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        assertEquals(expectedHead(), FixedHead.weights(model), "prototype matrix changed in training");
    }

    @Test
    void openSetLossTrainsWithOutlierExposure() throws Exception {
        // outliers as users bring them: a uint8 image array in a NumPy .npy file (the seed's 300K random images),
        // prepared with --format npy (no labels); here 100 noise images of the training shape
        Path outliers = npyImages("outliers", 100, 28, 28);

        Path run = tmp.resolve("run-open-set");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "train.batch-size=32",
                "model.head.loss=nirvana-open-set", "model.head.prototypes=dsc-centres", "model.head.radius=5",
                "model.head.open-set.margin=3", "train.outliers.data=\"" + outliers + "\"",
                "train.outliers.per-batch=16");
        assertTrue(r.epochs().stream().allMatch(e -> Double.isFinite(e.trainLoss())), r.epochs().toString());
        assertTrue(r.testAccuracy() > 0.3, "test accuracy " + r.testAccuracy());
        // 600 examples in 2 partitions of 300: 10 minibatches each (9 of 32, one of 12), each with 16 outliers
        assertEquals(600 + 20 * 16, r.epochs().get(0).trainExamples(), "rows trained, outliers included");
    }

    @Test
    void longTailLossTrainsWithMixup() throws Exception {
        Path run = tmp.resolve("run-long-tail-mixup");
        TrainLoop.Result r = train(run, "train.epochs=2", "train.workers=2", "model.head.loss=long-tail-dot-regression",
                "train.mixup.alpha=1", "model.optimizer.learning-rate=3e-3");
        assertTrue(r.epochs().stream().allMatch(e -> Double.isFinite(e.trainLoss())), r.epochs().toString());
        assertTrue(r.testAccuracy() > 0.3, "test accuracy " + r.testAccuracy());
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        assertTrue(model.getVertex(io.protospark.model.net.Networks.FEATURE_BN) != null);
    }

    @Test
    void labelTransformsTheLossCannotUseAreRefused() {
        String[][] cases = {
                {"protospark.train.mixup.alpha", "train.mixup.alpha=0.2", "model.head.loss=nirvana-mse",
                        "model.head.prototypes=dsc-centres"},
                {"protospark.train.label-smoothing", "train.label-smoothing=0.1", "model.head.loss=squared-cosine"},
                {"protospark.train.label-smoothing", "train.label-smoothing=1"},
                {"protospark.train.outliers.data", "train.outliers.data=\"" + data + "\""},
        };
        for (String[] c : cases) {
            List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + tmp.resolve("x")
                    + "\""));
            o.addAll(List.of(c).subList(1, c.length));
            var e = assertThrows(io.protospark.config.SettingsException.class,
                    () -> TrainJob.Settings.from(Configs.load(null, "test", o)), String.join(" ", c));
            assertEquals(c[0], e.key());
        }
    }

    @Test
    void learnedCoMheProjectionPersistsAcrossAveragingRoundsAndIsSaved() throws Exception {
        // angle-preserving CoMHE on the workers: the driver advances P after every round, the next round's workers
        // start from it, and the saved model holds it
        Path run = tmp.resolve("run-comhe-ap");
        train(run, "train.epochs=1", "train.workers=2", "train.max-train-examples=256", "train.batch-size=32",
                "train.averaging-frequency=2", "model.energy.form=2", "model.energy.projection=angle-preserving",
                "model.energy.projection-dim=8");
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        int checked = 0;
        for (var l : model.getLayers()) {
            for (var r : l.conf().getLayer().getRegularizationByParam("W") == null ? List.<Object>of()
                    : List.<Object>copyOf(l.conf().getLayer().getRegularizationByParam("W"))) {
                if (!(r instanceof EnergyRegularization e) || !e.projection().learnable()) {
                    continue;
                }
                checked++;
                int fanIn = (int) (l.getParam("W").length() / e.neurons());
                assertTrue(e.hasProjectionState(), "the saved model holds P");
                assertEquals(model.getConfiguration().getIterationCount(), e.projectionIteration(),
                        "P advanced to the network's iteration");
                assertTrue(e.projectionIteration() >= 4, "several rounds trained: " + e.projectionIteration());
                assertFalse(java.util.Arrays.equals(e.initialProjection(fanIn).data().asDouble(),
                                e.projectionMatrix(fanIn).data().asDouble()),
                        "P after training differs from its seed initialisation");
                // what the file holds is what a second save/load holds, bit for bit
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                ModelSerializer.writeModel(model, out, false);
                ComputationGraph again = ModelSerializer.restoreComputationGraph(
                        new java.io.ByteArrayInputStream(out.toByteArray()), false);
                EnergyRegularization e2 = (EnergyRegularization) again.getLayer(l.conf().getLayer().getLayerName())
                        .conf().getLayer().getRegularizationByParam("W").stream()
                        .filter(x -> x instanceof EnergyRegularization).findFirst().orElseThrow();
                assertTrue(java.util.Arrays.equals(e.projectionMatrix(fanIn).data().asDouble(),
                        e2.projectionMatrix(fanIn).data().asDouble()));
            }
        }
        assertTrue(checked > 0, "the backbone has projected layers");
    }

    @Test
    void outlierDataOfAnotherShapeOrWithoutTheSplitIsRefused() throws Exception {
        String[] openSet = {"model.head.loss=nirvana-open-set", "model.head.prototypes=dsc-centres"};
        Path small = npyImages("outliers-8x8", 10, 8, 8);
        var shape = assertThrows(io.protospark.config.SettingsException.class, () -> train(tmp.resolve("run-o1"),
                concat(openSet, "train.outliers.data=\"" + small + "\"")));
        assertEquals("protospark.train.outliers.data", shape.key());
        assertTrue(shape.getMessage().contains("28x28x1") && shape.getMessage().contains("8x8x1"), shape.getMessage());
        var split = assertThrows(io.protospark.config.SettingsException.class, () -> train(tmp.resolve("run-o2"),
                concat(openSet, "train.outliers.data=\"" + data + "\"", "train.outliers.split=unlabelled")));
        assertEquals("protospark.train.outliers.split", split.key());
        assertTrue(split.getMessage().contains("[test, train]"), split.getMessage());
    }

    /**
     * Prepares {@code n} random h×w grayscale images written as a NumPy uint8 .npy (format 1.0, per the NumPy
     * specification) with {@code --format npy}: outliers as users bring them, like the seed's 300K random images.
     */
    private static Path npyImages(String name, int n, int h, int w) throws Exception {
        Path npy = tmp.resolve(name + ".npy");
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", " + h + ", " + w + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.nio.ByteBuffer file = java.nio.ByteBuffer.allocate(10 + text.length + n * h * w)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1)
                .put((byte) 0).putShort((short) text.length).put(text);
        byte[] pixels = new byte[n * h * w];
        new java.util.Random(5).nextBytes(pixels);
        file.put(pixels);
        Files.write(npy, file.array());
        Path out = tmp.resolve(name);
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test", List.of("prepare.format=npy",
                "prepare.input=\"" + npy + "\"", "prepare.output=\"" + out + "\""))), spark);
        return out;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static INDArray expectedHead() {
        return Nd4j.create(PrototypeSet.simplex(10).matrix()).castTo(DataType.FLOAT).transpose();
    }
}
