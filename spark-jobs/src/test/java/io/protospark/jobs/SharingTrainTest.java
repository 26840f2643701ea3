package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.jobs.spark.SharedSpark;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.model.net.FixedHead;
import io.protospark.model.prototype.PrototypeSet;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train.master = sharing} (DL4J's SharedTrainingMaster) end to end on local Spark with two workers, on real
 * Fashion-MNIST images. Tagged {@value SharedSpark#OWN_SESSION}: DL4J's parameter server and its training wrapper are
 * JVM singletons that outlive the run, so these runs get a JVM of their own, and a session they stop at the end.
 */
@Tag(SharedSpark.OWN_SESSION)
class SharingTrainTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        spark = io.protospark.jobs.spark.SparkSessions.create("protospark-sharing-test", "local[2]",
                java.util.Map.of("spark.ui.enabled", "false", "spark.driver.host", "127.0.0.1"));
        Path raw = FashionSubset.write(tmp.resolve("raw"), 600, 200);
        data = tmp.resolve("data");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test",
                List.of("prepare.input=\"" + raw + "\"", "prepare.output=\"" + data + "\""))), spark);
    }

    /** The other tests of this JVM start sessions of their own configuration: this one must be gone first. */
    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static List<String> settings(Path runDir, String... overrides) {
        List<String> o = new ArrayList<>(List.of("train.data=\"" + data + "\"", "train.run-dir=\"" + runDir + "\"",
                "train.master=sharing", "train.workers=2", "train.batch-size=32", "train.report=false"));
        o.addAll(List.of(overrides));
        return o;
    }

    private static TrainLoop.Result train(Path runDir, String... overrides) {
        return TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", settings(runDir, overrides))), spark);
    }

    @Test
    void learnsWithTwoWorkersAndTheFixedHeadDoesNotMove() throws Exception {
        Path run = tmp.resolve("run-sharing");
        TrainLoop.Result r = train(run, "train.epochs=3");
        assertEquals(3, r.epochs().size());
        // 10 classes: chance is 0.1
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());

        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        assertEquals(3, lines.size());
        for (String line : lines) {
            JsonNode m = json.readTree(line);
            // the workers' listener counted every minibatch's loss: no hook runs under sharing
            assertEquals(600, m.get("train_examples").asLong(), "every example trained once per epoch: " + line);
            assertTrue(Double.isFinite(m.get("train_loss").asDouble()), line);
            assertEquals("sharing", m.at("/rounds/master").asText(), line);
            assertEquals(0.0, m.get("prototype_drift").asDouble(), "nothing to re-apply: " + line);
        }
        double first = json.readTree(lines.get(0)).get("train_loss").asDouble();
        double last = json.readTree(lines.get(2)).get("train_loss").asDouble();
        assertTrue(last < first, "training loss fell: " + first + " -> " + last);
        assertEquals("sharing", json.readTree(run.resolve(TrainLoop.PROVENANCE).toFile()).get("master").asText());

        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), true);
        assertEquals(Nd4j.create(PrototypeSet.simplex(10).matrix()).castTo(DataType.FLOAT).transpose(),
                FixedHead.weights(model), "the prototype matrix is bit-identical after training");
    }

    @Test
    void theEpochsLearningRateReachesTheExecutorsNetworks() throws Exception {
        // the executors keep their networks between epochs: a rate of 0 from epoch 2 on must still reach them, and
        // then nothing is sent (fixed threshold: no update reaches it), so the driver's network stays as it was
        Path run = tmp.resolve("run-sharing-rate");
        train(run, "train.epochs=2", "model.optimizer.schedule=step", "model.optimizer.milestones=[1]",
                "model.optimizer.gamma=0", "train.sharing.threshold-algorithm=fixed");
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        JsonNode e1 = json.readTree(lines.get(0));
        JsonNode e2 = json.readTree(lines.get(1));
        assertEquals(0.0, e2.get("learning_rate").asDouble(), lines.get(1));
        assertTrue(e1.get("val_accuracy").asDouble() > 0.2, "epoch 1 trained: " + lines.get(0));
        assertEquals(e1.get("val_loss").asDouble(), e2.get("val_loss").asDouble(), 0.0,
                "epoch 2 at rate 0 left the network as epoch 1 did");
        assertEquals(600, e2.get("train_examples").asLong(), lines.get(1));
    }

    @Test
    void aTargetLossWithTargetsByReferenceTrains() throws Exception {
        Path run = tmp.resolve("run-sharing-targets");
        TrainLoop.Result r = train(run, "train.epochs=2", "model.head.loss=squared-cosine",
                "train.targets-inline-up-to=0");
        assertTrue(r.testAccuracy() > 0.4, "test accuracy " + r.testAccuracy());
        JsonNode prov = new ObjectMapper().readTree(run.resolve(TrainLoop.PROVENANCE).toFile());
        assertTrue(prov.at("/round/targets_by_reference").asBoolean(), prov.get("round").toString());
        ComputationGraph model = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), false);
        double[][] held = FixedHead.read(model);
        double[][] expected = PrototypeSet.simplex(10).matrix();
        for (int k = 0; k < 10; k++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected[k], held[k], 0.0, "target of class " + k);
        }
    }

    @Test
    void settingsSharingCannotHonourAreRefused() {
        Path run = tmp.resolve("run-refused");
        SettingsException dynamic = assertThrows(SettingsException.class,
                () -> train(run, "train.assignment.mode=dynamic"));
        assertTrue(dynamic.getMessage().contains("protospark.train.master"), dynamic.getMessage());
        assertTrue(dynamic.getMessage().contains("train.assignment.mode = static"), dynamic.getMessage());
        SettingsException rollback = assertThrows(SettingsException.class,
                () -> train(run, "train.on-divergence=rollback"));
        assertTrue(rollback.getMessage().contains("protospark.train.on-divergence"), rollback.getMessage());
        SettingsException mask = assertThrows(SettingsException.class,
                () -> train(run, "train.sharing.network-mask=\"10.0.0\""));
        assertTrue(mask.getMessage().contains("protospark.train.sharing.network-mask"), mask.getMessage());
        assertThrows(SettingsException.class, () -> train(run, "train.master=gossip"));
    }
}
