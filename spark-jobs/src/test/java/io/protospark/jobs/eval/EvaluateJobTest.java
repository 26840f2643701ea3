package io.protospark.jobs.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.config.Configs;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.jobs.FashionSubset;
import io.protospark.jobs.TrainJob;
import io.protospark.jobs.spark.SharedSpark;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import com.typesafe.config.Config;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code evaluate} end to end on the shared local Spark session: a model trained here on prepared Fashion-MNIST,
 * scored closed-set, open-set and on verification pairs in InsightFace's {@code .bin} format; every metric checked
 * against a recomputation from {@code predictions.parquet} written here, independently of the metric code.
 */
class EvaluateJobTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;
    static Path run;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void trainOnce() throws Exception {
        spark = SharedSpark.session();
        Path raw = FashionSubset.write(tmp.resolve("raw"), 600, 200);
        data = tmp.resolve("data");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test",
                List.of("prepare.input=\"" + raw + "\"", "prepare.output=\"" + data + "\""))), spark);
        run = tmp.resolve("run");
        TrainJob.run(TrainJob.Settings.from(Configs.load(null, "test", List.of("train.data=\"" + data + "\"",
                "train.run-dir=\"" + run + "\"", "train.epochs=2", "train.workers=2", "train.batch-size=32",
                "train.averaging-frequency=3", "train.checkpoint.keep-last=2",
                // an open-set evaluation during training (the training images standing in for unknown ones), whose
                // DSC criterion ranks the checkpoints
                "train.eval.sets=[{name = osr, unknown-split = train}]",
                "train.checkpoint.monitor=osr.dsc_score.auroc_oscr_mean"))), spark);
    }

    private static EvaluateJob.Result evaluate(String... overrides) {
        return EvaluateJob.run(EvaluateJob.Settings.from(Configs.load(null, "test", List.of(overrides))), spark);
    }

    private static List<Row> predictions(java.net.URI out) {
        return spark.read().parquet(new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(out), EvaluateJob.PREDICTIONS).toString()).orderBy("id")
                .collectAsList();
    }

    @Test
    void theMinibatchDefaultsToTheRunsOwn() throws Exception {
        EvaluateJob.Model model = EvaluateJob.Model.locate(run.toUri(), "", new org.apache.hadoop.conf.Configuration());
        assertEquals(TrainSettings.Evaluations.DEFAULT_BATCH_SIZE, model.batchSize(0), "the run's train.eval.batch-size");
        assertEquals(8, model.batchSize(8), "evaluate.batch-size given");
        assertEquals(24, new EvaluateJob.Model(model.located(), model.settings(), 24).batchSize(0));
    }

    @Test
    void closedSetMatchesTrainingsEvaluationAndItsOwnRows() throws Exception {
        Path out = tmp.resolve("closed");
        EvaluateJob.Result r = evaluate("evaluate.model=\"" + run + "\"", "evaluate.data=\"" + data + "\"",
                "evaluate.out=\"" + out + "\"");
        JsonNode ev = JSON.readTree(Files.readString(out.resolve(EvaluateJob.EVALUATION)));
        JsonNode closed = ev.get("closed_set");
        // the training loop's last evaluation of the same model on the same split
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        assertEquals(last.get("val_accuracy").asDouble(), closed.get("top1").asDouble(), 0.0);
        assertEquals(last.get("val_loss").asDouble(), closed.get("mean_loss").asDouble(), 1e-6);
        assertEquals("closed-set", ev.get("kind").asText());
        assertEquals("final", ev.get("model").get("which").asText());

        List<Row> rows = predictions(r.out());
        assertEquals(200, rows.size());
        long top1 = 0;
        long top5 = 0;
        double lossSum = 0;
        // ECE by its definition: 15 bins (lo, hi], |accuracy - confidence| weighted by the bin's share
        double[] binConf = new double[15];
        double[] binOk = new double[15];
        int[] binN = new int[15];
        long[][] confusion = new long[10][10];
        for (Row row : rows) {
            int label = row.getInt(row.fieldIndex("label"));
            int pred = row.getInt(row.fieldIndex("prediction"));
            top1 += label == pred ? 1 : 0;
            List<Integer> five = row.getList(row.fieldIndex("top5"));
            assertEquals(5, five.size());
            assertEquals(pred, five.get(0), "the dot rule's top-1 heads its top-5");
            top5 += five.contains(label) ? 1 : 0;
            lossSum += row.getDouble(row.fieldIndex("loss"));
            double conf = row.getDouble(row.fieldIndex("max_softmax"));
            int bin = Math.min(14, Math.max(0, (int) Math.ceil(conf * 15) - 1));
            binConf[bin] += conf;
            binOk[bin] += row.getInt(row.fieldIndex("softmax_prediction")) == label ? 1 : 0;
            binN[bin]++;
            confusion[label][pred]++;
            // a fixed head has centres: all four rules and both distance scores are there
            assertFalse(row.isNullAt(row.fieldIndex("pred_combined")));
            double dsc = row.getDouble(row.fieldIndex("dsc_score"));
            assertTrue(dsc > 0 && dsc <= 1, "DSC score " + dsc);
        }
        double ece = 0;
        for (int b = 0; b < 15; b++) {
            if (binN[b] > 0) {
                ece += (double) binN[b] / rows.size() * Math.abs(binOk[b] / binN[b] - binConf[b] / binN[b]);
            }
        }
        assertEquals(top1 / 200.0, closed.get("top1").asDouble(), 0.0);
        assertEquals(top5 / 200.0, closed.get("top5").asDouble(), 0.0);
        assertTrue(top5 >= top1);
        assertEquals(lossSum / 200, closed.get("mean_loss").asDouble(), 1e-12);
        assertEquals(ece, closed.get("calibration").get("ece").asDouble(), 1e-12);
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                assertEquals(confusion[i][j], closed.get("confusion_matrix").get(i).get(j).asLong());
            }
        }
        assertEquals(closed.get("top1").asDouble(), closed.get("rules").get("dot").asDouble(), 0.0,
                "the model's own rule is dot");
        // the manifest counts the training split: 600 examples over 10 classes are all "medium" (20..100)
        assertEquals(10, closed.get("long_tail").get("medium_classes").size());
        assertTrue(r.summary().startsWith("top-1 "), r.summary());
    }

    @Test
    void openSetScoresAgainstABruteForceAuroc() throws Exception {
        Path out = tmp.resolve("open");
        evaluate("evaluate.model=\"" + run + "\"", "evaluate.data=\"" + data + "\"",
                "evaluate.unknown-data=\"" + data + "\"", "evaluate.unknown-split=train",
                "evaluate.out=\"" + out + "\"");
        JsonNode open = JSON.readTree(Files.readString(out.resolve(EvaluateJob.EVALUATION))).get("open_set");
        assertEquals(200, open.get("known_examples").asInt());
        assertEquals(600, open.get("unknown_examples").asInt());
        List<Row> rows = spark.read().parquet(out.resolve(EvaluateJob.PREDICTIONS).toString()).collectAsList();
        for (String score : List.of("dsc_score", "max_cosine", "max_logit", "max_softmax")) {
            List<Double> known = new ArrayList<>();
            List<Double> unknown = new ArrayList<>();
            for (Row row : rows) {
                (row.getBoolean(row.fieldIndex("known")) ? known : unknown).add(row.getDouble(row.fieldIndex(score)));
            }
            // AUROC = P(known score > unknown score) + P(equal)/2, over all pairs
            double wins = 0;
            for (double k : known) {
                for (double u : unknown) {
                    wins += k > u ? 1 : k == u ? 0.5 : 0;
                }
            }
            double auroc = wins / ((double) known.size() * unknown.size());
            JsonNode s = open.get(score);
            assertNotNull(s, score + " in " + open);
            assertEquals(auroc, s.get("auroc").asDouble(), 1e-12, score);
            double oscr = s.get("oscr").asDouble();
            assertTrue(oscr >= 0 && oscr <= open.get("closed_set_accuracy").asDouble() + 1e-12, score + " " + oscr);
        }
        // the same numbers as training's evaluation set "osr" after the last epoch (same model, data and code)
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        for (String key : List.of("dsc_score.auroc", "dsc_score.oscr", "max_softmax.auroc", "max_logit.oscr")) {
            String[] p = key.split("\\.");
            assertEquals(last.get("osr." + key).asDouble(), open.get(p[0]).get(p[1]).asDouble(), 0.0, key);
        }
        assertEquals(last.get("osr.closed_set_accuracy").asDouble(), open.get("closed_set_accuracy").asDouble(), 0.0);
        // unknown rows carry no loss and label -1
        Row u = rows.stream().filter(row -> !row.getBoolean(row.fieldIndex("known"))).findFirst().orElseThrow();
        assertEquals(-1, u.getInt(u.fieldIndex("label")));
        assertTrue(u.isNullAt(u.fieldIndex("loss")));
    }

    @Test
    void checkpointsAndModelFilesAreFoundOrRefusedByName() throws Exception {
        // best = the kept checkpoint with the larger (AUROC + OSCR) / 2 of the evaluation set (the run's monitor, max)
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        double a1 = JSON.readTree(lines.get(0)).get("val_accuracy").asDouble();
        double a2 = JSON.readTree(lines.get(1)).get("val_accuracy").asDouble();
        double m1 = JSON.readTree(lines.get(0)).get("osr.dsc_score.auroc_oscr_mean").asDouble();
        double m2 = JSON.readTree(lines.get(1)).get("osr.dsc_score.auroc_oscr_mean").asDouble();
        for (String which : List.of("last", "best", "epoch-1")) {
            Path out = tmp.resolve("cp-" + which);
            evaluate("evaluate.model=\"" + run + "\"", "evaluate.checkpoint=" + which,
                    "evaluate.data=\"" + data + "\"", "evaluate.out=\"" + out + "\"");
            JsonNode ev = JSON.readTree(Files.readString(out.resolve(EvaluateJob.EVALUATION)));
            String expected = switch (which) {
                case "last" -> "epoch-0002";
                case "best" -> m1 > m2 ? "epoch-0001" : "epoch-0002";
                default -> "epoch-0001";
            };
            assertEquals(expected, ev.get("model").get("which").asText(), which);
            assertEquals(which.equals("epoch-1") || expected.equals("epoch-0001") ? a1 : a2,
                    ev.get("closed_set").get("top1").asDouble(), 0.0, which);
        }
        // a checkpoint's model.zip given as a file finds the run's settings two levels up
        Path out = tmp.resolve("cp-file");
        evaluate("evaluate.model=\"" + run.resolve("checkpoints/epoch-0001/model.zip") + "\"",
                "evaluate.data=\"" + data + "\"", "evaluate.out=\"" + out + "\"");
        assertEquals("epoch-0001", JSON.readTree(Files.readString(out.resolve(EvaluateJob.EVALUATION)))
                .get("model").get("which").asText());

        String msg = assertThrows(IllegalArgumentException.class, () -> evaluate("evaluate.model=\"" + run + "\"",
                "evaluate.checkpoint=epoch-7", "evaluate.data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains("epoch-0007") && msg.contains("epoch-0002"), msg);
        Path lone = tmp.resolve("lone");
        Files.createDirectories(lone);
        Files.copy(run.resolve("model.zip"), lone.resolve("model.zip"));
        msg = assertThrows(IllegalArgumentException.class, () -> evaluate("evaluate.model=\""
                + lone.resolve("model.zip") + "\"", "evaluate.data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains(lone.resolve("model.zip").toString()) && msg.contains("resolved.conf"), msg);
        // a checkpoint whose model no longer matches its hash is refused, naming the file
        Path copy = tmp.resolve("run-copy");
        org.apache.commons.io.FileUtils.copyDirectory(run.toFile(), copy.toFile());
        Files.write(copy.resolve("checkpoints/epoch-0001/model.zip"), new byte[] {1, 2, 3},
                java.nio.file.StandardOpenOption.APPEND);
        msg = assertThrows(IllegalArgumentException.class, () -> evaluate("evaluate.model=\"" + copy + "\"",
                "evaluate.checkpoint=epoch-1", "evaluate.data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains("model.zip") && msg.contains("SHA-256"), msg);
    }

    @Test
    void embedWritesParquetThatSparkSqlReadsWithTheNetworksOwnActivations() throws Exception {
        Path out = tmp.resolve("emb.parquet");
        EmbedJob.Result r = EmbedJob.run(EmbedJob.Settings.from(Configs.load(null, "test", List.of(
                "evaluate.model=\"" + run + "\"", "evaluate.data=\"" + data + "\"", "embed.out=\"" + out + "\"",
                "embed.flip-sum=true"))), spark);
        assertEquals(200, r.rows());
        spark.read().parquet(out.toString()).createOrReplaceTempView("emb");
        List<Row> rows = spark.sql("SELECT id, label, embedding FROM emb WHERE id < 3 ORDER BY id").collectAsList();
        assertEquals(3, rows.size());
        // the same three examples through the trained network here: pixels / 255, plus the mirrored image
        ComputationGraph net;
        try (var in = Files.newInputStream(run.resolve(TrainLoop.MODEL))) {
            net = TrainLoop.readModel(in, false);
        }
        List<Row> pixels = spark.read().parquet(data.resolve("test").toString() + "/*.parquet")
                .where("id < 3").orderBy("id").select("pixels").collectAsList();
        for (int i = 0; i < 3; i++) {
            byte[] p = (byte[]) pixels.get(i).get(0);
            float[] x = new float[784];
            float[] xf = new float[784];
            for (int y = 0; y < 28; y++) {
                for (int c = 0; c < 28; c++) {
                    x[y * 28 + c] = (p[y * 28 + c] & 0xff) / 255f;
                    xf[y * 28 + c] = (p[y * 28 + 27 - c] & 0xff) / 255f;
                }
            }
            var a = net.feedForward(org.nd4j.linalg.factory.Nd4j.create(x, new long[] {1, 1, 28, 28}), false)
                    .get("embedding");
            var b = net.feedForward(org.nd4j.linalg.factory.Nd4j.create(xf, new long[] {1, 1, 28, 28}), false)
                    .get("embedding");
            double[] expected = a.add(b).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
            List<Float> got = rows.get(i).getList(2);
            assertEquals(expected.length, got.size());
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], got.get(j), 1e-4 * Math.max(1, Math.abs(expected[j])), "row " + i + " dim " + j);
            }
        }
    }

    /** A model.zip of an untrained network with its resolved.conf beside it, as a run leaves them. */
    private static Path untrainedModel(String name, String... overrides) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Config c = Configs.load(null, "test", List.of(overrides));
        ModelSettings m = ModelSettings.from(c);
        ComputationGraph net = Networks.build(m, Prototypes.build(m));
        try (OutputStream out = Files.newOutputStream(dir.resolve(TrainLoop.MODEL))) {
            TrainLoop.writeModel(net, out);
        }
        Files.writeString(dir.resolve(TrainLoop.RESOLVED), Configs.render(c));
        return dir;
    }

    @Test
    void modelsThatDoNotFitTheDataAreRefusedBeforeScoring() throws Exception {
        Path five = untrainedModel("five", "model.classes=5", "model.embedding-dim=4");
        String msg = assertThrows(IllegalArgumentException.class, () -> evaluate("evaluate.model=\"" + five + "\"",
                "evaluate.data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains("5 classes") && msg.contains("has 10") && msg.contains(data.toString()), msg);
        Path rgb = untrainedModel("rgb", "model.input.channels=3", "model.input.height=32", "model.input.width=32");
        msg = assertThrows(IllegalArgumentException.class, () -> evaluate("evaluate.model=\"" + rgb + "\"",
                "evaluate.data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains("28x28x1 (height x width x channels)") && msg.contains("takes 32x32x3"), msg);
        var split = assertThrows(io.protospark.config.SettingsException.class, () -> evaluate("evaluate.model=\""
                + run + "\"", "evaluate.data=\"" + data + "\"", "evaluate.split=validation"));
        assertTrue(split.getMessage().contains("protospark.evaluate.split"), split.getMessage());
        assertFalse(Files.exists(five.resolve("evaluation")), "nothing written for a refused evaluation");
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    // ---- verification pairs ----

    static byte[] png(int seed, int size) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(seed);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** InsightFace's {@code .bin}: the pickle of {@code (bins, issame_list)}, protocol 3. */
    static byte[] pickle(List<byte[]> bins, List<Boolean> issame) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(3);
        out.write(']');
        out.write('(');
        for (byte[] b : bins) {
            out.write('B');
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array(), 0, 4);
            out.write(b, 0, b.length);
        }
        out.write('e');
        out.write(']');
        out.write('(');
        for (boolean s : issame) {
            out.write(s ? 0x88 : 0x89);
        }
        out.write('e');
        out.write(0x86);
        out.write('.');
        return out.toByteArray();
    }

    @Test
    void verificationPairsGiveTenFoldAccuracyFromFlipSummedEmbeddings() throws Exception {
        // 40 pairs: the same image twice (distance 0) or two random images
        List<byte[]> images = new ArrayList<>();
        List<Boolean> same = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            boolean s = i % 2 == 0;
            images.add(png(2 * i, 16));
            images.add(s ? images.get(images.size() - 1) : png(2 * i + 1, 16));
            same.add(s);
        }
        Path bins = tmp.resolve("bins");
        Files.createDirectories(bins);
        Files.write(bins.resolve("lfw.bin"), pickle(images, same));
        // a second set of 20 pairs, the labels the other way round
        Files.write(bins.resolve("cfp_fp.bin"), pickle(images.subList(0, 40),
                same.subList(0, 20).stream().map(b -> !b).toList()));
        Path pairs = tmp.resolve("pairs");
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test", List.of("prepare.format=verification-bin",
                "prepare.input=\"" + bins + "\"", "prepare.output=\"" + pairs + "\"", "prepare.image-size=16"))),
                spark);
        Path face = untrainedModel("face", "model.input.channels=3", "model.input.height=16",
                "model.input.width=16");
        Path out = tmp.resolve("verify");
        // no --split: every set of the data, each scored on its own
        EvaluateJob.Result r = evaluate("evaluate.model=\"" + face + "\"", "evaluate.data=\"" + pairs + "\"",
                "evaluate.out=\"" + out + "\"");
        JsonNode sets = JSON.readTree(Files.readString(out.resolve(EvaluateJob.EVALUATION))).get("verification");
        assertEquals(List.of("cfp_fp", "lfw"), iterable(sets.fieldNames()));
        assertEquals(20, sets.get("cfp_fp").get("pairs").asInt());
        assertTrue(r.summary().startsWith("cfp_fp: accuracy ") && r.summary().contains("; lfw: accuracy 1.0000"),
                r.summary());
        JsonNode v = sets.get("lfw");
        assertEquals(40, v.get("pairs").asInt());
        // identical images are at distance 0; random ones are not: every fold separates them
        assertEquals(1.0, v.get("roc").get("accuracy_mean").asDouble(), 0.0, v.toString());
        List<Row> rows = predictions(r.out()).stream().filter(row -> row.getString(0).equals("lfw")).toList();
        assertEquals(40, rows.size());
        for (Row row : rows) {
            double d = row.getDouble(row.fieldIndex("distance"));
            assertTrue(d >= 0 && d <= 4 + 1e-9, "squared distance of unit vectors " + d);
            if (row.getBoolean(row.fieldIndex("same"))) {
                assertEquals(0.0, d, 1e-9);
            }
        }
        String msg = assertThrows(io.protospark.config.SettingsException.class, () -> evaluate("evaluate.model=\""
                + face + "\"", "evaluate.data=\"" + pairs + "\"", "evaluate.split=lfw",
                "evaluate.unknown-data=\"" + data + "\"")).getMessage();
        assertTrue(msg.contains("verification pairs"), msg);
    }
}
