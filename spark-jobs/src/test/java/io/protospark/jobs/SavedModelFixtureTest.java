package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.config.Configs;
import io.protospark.model.io.Npy;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model.zip} files written by an earlier build must keep loading, and keep computing what they computed.
 *
 * <p>A saved model names classes of this project in its JSON configuration: the fast layers
 * ({@code io.protospark.model.fast.FastConvolution}, ...), the fixed head's and the sphere layers, the losses, the
 * pre-processors, the updater. Renaming or moving one of them compiles and passes every other test, and silently
 * breaks every {@code model.zip} users have saved (and {@code train.init-from}). Each fixture under
 * {@value #FIXTURES} is a tiny network built from a configuration with {@link Networks} (fast layers on), trained for
 * a few steps so that batch-norm statistics and updater state are not at their initial values, and saved the way
 * {@code protospark train} saves {@value TrainLoop#MODEL} ({@link TrainLoop#writeModel}); next to it the input it was
 * run on and its outputs then. This test loads each with {@link TrainLoop#readModel} (updater state included) and
 * requires the same outputs within {@value #TOLERANCE}.
 *
 * <p><b>Never regenerate a fixture to make this test pass.</b> A failure here means that models saved by earlier
 * builds no longer load, or compute something else: keep the old class names loadable (for example a deprecated
 * subclass under the old name, or a Jackson subtype registration), or restore the behaviour. The fixtures are the
 * record of what earlier builds wrote; only that build could write them again.
 *
 * <p>How they were made: {@link #generate} writes the fixtures of {@link #FIXTURE_SETTINGS} that do not exist yet
 * (it refuses to overwrite one). To add a fixture (a new layer class worth guarding, say), add an entry with a new
 * name and run
 * <pre>
 *   mvn -B -o -q -pl spark-jobs -am test -Dtest=SavedModelFixtureTest -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dmodel-fixtures.generate=true
 * </pre>
 * then commit the new files with the build that wrote them. {@code fixed-simplex} and {@code learned} were written by
 * the build of the commit that added them (DL4J 1.0.0-M2.1, nd4j-native linux-x86_64-onednn-avx2).
 */
class SavedModelFixtureTest {
    static final String FIXTURES = "src/test/resources/fixtures/model-zip";
    private static final Path DIR = Path.of(FIXTURES);
    private static final double TOLERANCE = 1e-5;
    private static final String GENERATE = "model-fixtures.generate";
    private static final int EXAMPLES = 4;

    /** The fixtures: name and the model settings (path=value overrides of the reference defaults) they were built from. */
    static final Map<String, List<String>> FIXTURE_SETTINGS = new LinkedHashMap<>();

    static {
        // the main job's kind of network: fast convolutions and pooling (channels-last), a DAM block (dense, PReLU,
        // batch norm), the fixed regular-simplex head; Adam
        FIXTURE_SETTINGS.put("fixed-simplex", List.of(
                "seed=7",
                "model.classes=5",
                "model.input.height=8", "model.input.width=8", "model.input.channels=1",
                "model.backbone=small-cnn", "model.conv-channels=[4, 6]", "model.hidden=[12]",
                "model.fast-layers=true",
                "model.dam.blocks=1", "model.dam.input-dim=3",
                "model.embedding-dim=4",
                "model.head.kind=fixed", "model.head.prototypes=simplex",
                "model.optimizer.name=adam", "model.optimizer.learning-rate=0.01"));
        // a learned head: SphereConv + ReLU blocks (fast ReLU), the MHE energy regulariser, the floored log loss,
        // SGD with momentum and weight decay (decayed batch norm, the project's SGD updater)
        FIXTURE_SETTINGS.put("learned", List.of(
                "seed=11",
                "model.classes=3",
                "model.input.height=8", "model.input.width=8", "model.input.channels=3",
                "model.backbone=small-cnn", "model.conv-channels=[4]", "model.hidden=[8]",
                "model.sphere.small-cnn=true", "model.sphere.operator=cosine",
                "model.fast-layers=true",
                "model.embedding-dim=5",
                "model.head.kind=learned", "model.head.log-epsilon=1e-4",
                "model.energy.form=2", "model.energy.classifier-layer=head",
                "model.optimizer.name=sgd", "model.optimizer.learning-rate=0.05", "model.optimizer.momentum=0.9",
                "model.optimizer.weight-decay=5e-4"));
    }

    private static Path file(String name, String suffix) {
        return DIR.resolve(name + suffix);
    }

    @TestFactory
    Stream<DynamicTest> everySavedModelLoadsAndComputesWhatItDidWhenSaved() throws IOException {
        if (Boolean.getBoolean(GENERATE)) {
            generate();
        }
        return FIXTURE_SETTINGS.keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path zip = file(name, ".model.zip");
            assertTrue(Files.isRegularFile(zip), zip.toAbsolutePath() + " is missing");
            JsonNode meta = Json.MAPPER.readTree(file(name, ".json").toFile());
            ComputationGraph net;
            try (InputStream in = Files.newInputStream(zip)) {
                net = TrainLoop.readModel(in, true);
            }
            assertNotNull(net.getUpdater().getStateViewArray(), name + ": updater state restored");
            INDArray input = read(file(name, ".input.npy"), meta.get("input_shape"));
            Map<String, INDArray> acts = net.feedForward(input, false);
            String feature = meta.get("feature").asText();
            assertClose(name + " feature (" + feature + ")", readMatrix(file(name, ".feature.npy")), acts.get(feature));
            assertClose(name + " output", readMatrix(file(name, ".output.npy")), net.outputSingle(false, input));
        }));
    }

    /** The fixtures hold what they are kept for: this project's classes, the fast layers among them. */
    @Test
    void theFixturesNameTheProjectsLayerClasses() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String name : FIXTURE_SETTINGS.keySet()) {
            try (ZipFile z = new ZipFile(file(name, ".model.zip").toFile())) {
                ZipEntry conf = z.getEntry("configuration.json");
                assertNotNull(conf, name + ": configuration.json in the zip");
                try (InputStream in = z.getInputStream(conf)) {
                    all.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        for (String cls : List.of("io.protospark.model.fast.FastConvolution", "io.protospark.model.fast.FastSubsampling",
                "io.protospark.model.fast.FastBatchNormalization", "io.protospark.model.fast.FastRelu",
                "io.protospark.model.fast.NchwToNhwc", "io.protospark.model.fast.NhwcFlatten",
                "io.protospark.model.sphere.SphereConv", "io.protospark.model.head.Prelu",
                "io.protospark.model.loss.EpsilonCrossEntropyLoss", "io.protospark.model.net.SgdMomentum",
                "io.protospark.model.energy.EnergyRegularization")) {
            assertTrue(all.indexOf(cls) >= 0, "no fixture saves a " + cls);
        }
    }

    private static void assertClose(String what, double[][] expected, INDArray actual) {
        assertNotNull(actual, what + ": not computed");
        double[][] got = actual.castTo(DataType.DOUBLE).reshape(actual.size(0), -1).toDoubleMatrix();
        assertEquals(expected.length, got.length, what + ": rows");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, got[i].length, what + ": columns");
            for (int j = 0; j < expected[i].length; j++) {
                double e = expected[i][j];
                assertEquals(e, got[i][j], TOLERANCE * Math.max(1, Math.abs(e)),
                        what + " [" + i + ", " + j + "] (never regenerate the fixture to make this pass; see the class "
                                + "comment)");
            }
        }
    }

    private static double[][] readMatrix(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return Npy.readMatrix(in, p.toString());
        }
    }

    private static INDArray read(Path p, JsonNode shape) throws IOException {
        long[] s = new long[shape.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape.get(i).asLong();
        }
        return Nd4j.create(readMatrix(p)).castTo(DataType.FLOAT).reshape(s);
    }

    private static void write(Path p, INDArray m) throws IOException {
        try (OutputStream out = Files.newOutputStream(p)) {
            Npy.writeMatrix(out, m.castTo(DataType.DOUBLE).reshape(m.size(0), -1).toDoubleMatrix());
        }
    }

    /**
     * Writes the fixtures that do not exist yet: builds each network from its settings with {@link Networks}, fits
     * it for three steps on seeded random data, saves it with {@link TrainLoop#writeModel}, and records a seeded input
     * with the feature and output the saved network computes for it. Refuses to overwrite a fixture.
     */
    static void generate() throws IOException {
        Files.createDirectories(DIR);
        for (Map.Entry<String, List<String>> e : FIXTURE_SETTINGS.entrySet()) {
            String name = e.getKey();
            if (Files.exists(file(name, ".model.zip"))) {
                continue; // a fixture is a record of an earlier build: never overwritten
            }
            ModelSettings s = ModelSettings.from(Configs.load(null, name, e.getValue()));
            ComputationGraph net = Networks.build(s, Prototypes.build(s));
            long[] shape = {EXAMPLES, s.input().channels(), s.input().height(), s.input().width()};
            Nd4j.getRandom().setSeed(s.seed());
            for (int step = 0; step < 3; step++) {
                INDArray x = Nd4j.rand(DataType.FLOAT, 8, s.input().channels(), s.input().height(), s.input().width());
                INDArray y = Nd4j.zeros(DataType.FLOAT, 8, s.classes());
                for (int i = 0; i < 8; i++) {
                    y.putScalar(i, (i + step) % s.classes(), 1f);
                }
                net.fit(new DataSet(x, y));
            }
            try (OutputStream out = Files.newOutputStream(file(name, ".model.zip"))) {
                TrainLoop.writeModel(net, out);
            }
            // the outputs of the network as saved (read back), for an input of its shape
            ComputationGraph saved;
            try (InputStream in = Files.newInputStream(file(name, ".model.zip"))) {
                saved = TrainLoop.readModel(in, true);
            }
            INDArray input = Nd4j.rand(DataType.FLOAT, shape);
            String feature = Networks.feature(s);
            write(file(name, ".input.npy"), input);
            write(file(name, ".feature.npy"), saved.feedForward(input, false).get(feature));
            write(file(name, ".output.npy"), saved.outputSingle(false, input));
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("what", "model.zip saved by protospark (TrainLoop.writeModel); see SavedModelFixtureTest. Never "
                    + "regenerate to make a failing test pass");
            meta.put("settings", e.getValue());
            meta.put("input_shape", shape);
            meta.put("feature", feature);
            meta.put("output", Networks.output(saved));
            meta.put("nd4j_backend", Nd4j.getBackend().getClass().getName());
            meta.put("written", java.time.LocalDate.now().toString());
            Files.writeString(file(name, ".json"), Json.pretty(meta));
        }
    }
}
