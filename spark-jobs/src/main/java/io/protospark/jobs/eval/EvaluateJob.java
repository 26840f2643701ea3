package io.protospark.jobs.eval;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.common.ParquetFiles;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.jobs.spark.ShardRdds;
import io.protospark.jobs.train.RunDirectory;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.jobs.train.TrainedModels;
import io.protospark.metrics.Auroc;
import io.protospark.metrics.Calibration;
import io.protospark.metrics.ClosedSetMetrics;
import io.protospark.metrics.ConfusionMatrix;
import io.protospark.metrics.Oscr;
import io.protospark.metrics.Verification;
import io.protospark.metrics.VerificationResult;
import io.protospark.model.head.Decision;
import io.protospark.model.net.ModelSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code protospark evaluate}: scores a trained model on a prepared split with Spark (executors run the network, the
 * driver computes the metrics from the gathered per-example rows) and writes {@value #EVALUATION} (every metric, the
 * model's and data's hashes, the decision rule) and {@value #PREDICTIONS} (one row per example or pair, from which
 * every number can be recomputed) into the output directory, each published atomically.
 *
 * <p>What is measured follows the data: a classification split gives the closed-set metrics (top-1, top-5, mean
 * loss, per-class and balanced accuracy, the confusion matrix, expected calibration error, every decision rule for a
 * head with centres) and, when the manifest counts a training split, DL2PA's head / medium / tail accuracy; unknown
 * examples (the data set's {@code test-unknown} split or {@code --unknown-data}) add open-set AUROC and OSCR for each
 * known-ness score the head has; verification pairs give InsightFace's 10-fold accuracy and TAR at FAR 1e-3.
 * Definitions: {@code io.protospark.metrics} and docs/evaluation.md.
 */
public final class EvaluateJob {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
    public static final String EVALUATION = "evaluation.json";
    public static final String PREDICTIONS = "predictions.parquet";
    private static final String P = "protospark.evaluate.";
    /** About this many examples' features are kept for the 2-D view of the embedding. */
    static final long SAMPLE = 2000;
    /** Features wider than this are not sampled. */
    static final int MAX_SAMPLED_DIM = 512;

    private EvaluateJob() {
    }

    /** The command's settings ({@code protospark.evaluate.*}), checked. */
    public record Settings(URI model, String checkpoint, URI data, String split, URI unknownData,
                           String unknownSplit, URI out, int batchSize, String layer, boolean flipSum) {
        public static Settings from(Config c) {
            String model = Configs.nonBlank(c, P + "model", "must name a run directory or a model.zip",
                    "set it with --model");
            String data = Configs.nonBlank(c, P + "data", "must name a prepared data set", "set it with --data");
            String unknown = Configs.getString(c, P + "unknown-data");
            String out = Configs.getString(c, P + "out");
            return new Settings(TrainSettings.toUri(P + "model", model), Configs.getString(c, P + "checkpoint").trim(),
                    TrainSettings.toUri(P + "data", data), Configs.getString(c, P + "split"),
                    unknown.isBlank() ? null : TrainSettings.toUri(P + "unknown-data", unknown),
                    Configs.getString(c, P + "unknown-split"),
                    out.isBlank() ? null : TrainSettings.toUri(P + "out", out),
                    Configs.nonNegativeInt(c, P + "batch-size"), Configs.getString(c, P + "layer"),
                    Configs.getBoolean(c, P + "flip-sum"));
        }
    }

    /** Where the outputs went, the evaluation as written, and a one-line summary. */
    public record Result(URI out, Map<String, Object> evaluation, String summary, double seconds) {
    }

    /**
     * The model with everything read from its run: settings, the located file, and the minibatch its run evaluated in
     * ({@code train.eval.batch-size}).
     */
    record Model(TrainedModels.Located located, ModelSettings settings, int runBatchSize) {
        /** {@code evaluate.batch-size}, or the run's own inference minibatch when it is 0. */
        int batchSize(int requested) {
            return requested > 0 ? requested : runBatchSize;
        }

        static Model locate(URI model, String checkpoint, Configuration hadoop) {
            TrainedModels.Located located = TrainedModels.locate(model, checkpoint, hadoop);
            Config stored;
            try {
                stored = Configs.load(ConfigFactory.parseString(located.resolvedConf()), List.of());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot read the settings of the model " + located.model() + " from "
                        + new Path(located.runDir(), "resolved.conf") + ": " + e.getMessage(), e);
            }
            String key = "protospark.train.eval.batch-size";
            int batch = stored.hasPath(key) ? Configs.positiveInt(stored, key)
                    : io.protospark.jobs.train.TrainSettings.Evaluations.DEFAULT_BATCH_SIZE;
            return new Model(located, ModelSettings.from(stored), batch);
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", located.model().toString());
            m.put("sha256", located.sha256());
            m.put("run_dir", located.runDir() == null ? null : located.runDir().toString());
            m.put("which", located.which());
            m.put("head", Configs.configName(settings.head().kind()));
            m.put("loss", Configs.configName(settings.head().loss()));
            m.put("decision_rule", settings.head().decision().configName());
            m.put("classes", settings.classes());
            m.put("embedding_dim", settings.embeddingDim());
            return m;
        }
    }

    public static Result run(Settings s, SparkSession spark) {
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        Model model = Model.locate(s.model(), s.checkpoint(), hadoop);
        ModelSettings m = model.settings();
        int batch = model.batchSize(s.batchSize());
        ShardSet shards = ShardSet.open(s.data(), hadoop);
        boolean pairs = Manifest.PAIRS.equals(shards.manifest().schema());
        checkShape(shards, m, "--data");
        // verification pairs: one split per set (lfw, cfp_fp, ...); several comma-separated, or all by default
        List<String> splits = !pairs ? List.of(s.split())
                : Manifest.TEST.equals(s.split()) && !shards.splits().contains(Manifest.TEST)
                ? List.copyOf(new java.util.TreeSet<>(shards.splits()))
                : java.util.Arrays.stream(s.split().split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
        for (String split : splits) {
            if (!shards.splits().contains(split)) {
                throw new SettingsException(P + "split", "must name a split of the data set " + shards.root()
                        + (pairs ? " (or several, comma-separated)" : ""), split,
                        "it has " + new java.util.TreeSet<>(shards.splits()));
            }
        }
        ShardSet unknownShards = null;
        String unknownSplit = null;
        if (pairs) {
            if (s.unknownData() != null) {
                throw new SettingsException(P + "unknown-data", "applies to a classification split, not to the "
                        + "verification pairs of " + shards.root(), s.unknownData().toString(), "leave it empty");
            }
        } else {
            if (shards.classes() != m.classes()) {
                throw new IllegalArgumentException("the model " + model.located().model() + " separates " + m.classes()
                        + " classes but the data set " + shards.root() + " has " + shards.classes());
            }
            if (s.unknownData() != null) {
                unknownShards = ShardSet.open(s.unknownData(), hadoop);
                if (Manifest.PAIRS.equals(unknownShards.manifest().schema())) {
                    throw new IllegalArgumentException("the unknown data " + unknownShards.root() + " holds "
                            + "verification pairs; give a classification data set as --unknown-data");
                }
                checkShape(unknownShards, m, "--unknown-data");
                unknownSplit = unknownSplit(unknownShards, s.unknownSplit());
                if (!unknownShards.splits().contains(unknownSplit)) {
                    throw new SettingsException(P + "unknown-split", "must name a split of the data set "
                            + unknownShards.root(), unknownSplit, "it has "
                            + new java.util.TreeSet<>(unknownShards.splits()));
                }
            } else if (shards.splits().contains(Manifest.TEST_UNKNOWN) && Manifest.TEST.equals(s.split())) {
                unknownShards = shards;
                unknownSplit = s.unknownSplit().isBlank() ? Manifest.TEST_UNKNOWN : s.unknownSplit();
            }
        }
        URI out = s.out() != null ? s.out() : defaultOut(model, String.join("+", splits), shards, pairs);
        Decoding decoding = decoding(m);
        ComputationGraph net = model.located().load(hadoop);
        Map<String, Object> evaluation = new LinkedHashMap<>();
        evaluation.put("command", "evaluate");
        evaluation.put("created", Instant.now().toString());
        evaluation.put("model", model.describe());
        evaluation.put("data", describe(shards, String.join(",", splits)));
        List<Row> rows;
        StructType schema;
        String summary;
        int parallelism = jsc.defaultParallelism();
        try (BroadcastNetwork shipped = BroadcastNetwork.of(jsc, net)) {
            if (pairs) {
                evaluation.put("kind", "verification");
                Map<String, Object> bySet = new LinkedHashMap<>();
                rows = new ArrayList<>();
                List<String> lines = new ArrayList<>();
                for (String split : splits) {
                    List<Scoring.PairEmbedding> embedded = new ArrayList<>(Scoring.embedPairs(shipped,
                            readPairs(jsc, shards, split, parallelism), s.layer(), decoding, batch,
                            s.flipSum(), m.classes()).collect());
                    embedded.sort(Comparator.comparingLong(Scoring.PairEmbedding::id));
                    Verified v = verify(embedded, s, split);
                    bySet.put(split, v.metrics());
                    rows.addAll(v.rows());
                    lines.add(String.format(Locale.ROOT, "%s: accuracy %.4f ± %.4f, TAR %.4f at FAR %.4g (%d pairs)",
                            split, v.result().roc().accuracyMean(), v.result().roc().accuracyStd(),
                            v.result().val().valMean(), v.result().val().farMean(), embedded.size()));
                }
                evaluation.put("verification", bySet);
                schema = PAIR_SCHEMA;
                summary = String.join("; ", lines);
            } else {
                Scoring.Head head = Scoring.Head.of(m);
                evaluation.put("kind", unknownShards == null ? "closed-set" : "open-set");
                // a sample of about SAMPLE features for the report's 2-D view of the embedding
                long stride = m.embeddingDim() > MAX_SAMPLED_DIM ? 0
                        : Math.max(1, shards.examples(s.split()) / SAMPLE);
                List<Scoring.Scored> scored = new ArrayList<>(Scoring.score(jsc, shipped,
                        read(jsc, shards, s.split(), parallelism), head, decoding, batch, true, stride)
                        .collect());
                scored.sort(Comparator.comparingLong(Scoring.Scored::id));
                LOG.info("scored {} examples of {} in {} s", scored.size(), s.split(),
                        String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
                List<Scoring.Scored> unknown = List.of();
                if (unknownShards != null) {
                    evaluation.put("unknown_data", describe(unknownShards, unknownSplit));
                    unknown = new ArrayList<>(Scoring.score(jsc, shipped, read(jsc, unknownShards, unknownSplit,
                            parallelism), head, decoding, batch, false, 0).collect());
                    unknown.sort(Comparator.comparingLong(Scoring.Scored::id));
                }
                Map<String, Object> closed = closedSet(scored, head, shards);
                evaluation.put("closed_set", closed);
                Map<String, Object> sample = EmbeddingSample.of(scored);
                if (sample != null) {
                    evaluation.put("embedding_sample", sample);
                }
                summary = String.format(Locale.ROOT, "top-1 %.4f  top-5 %.4f  loss %.4f", closed.get("top1"),
                        closed.get("top5"), closed.get("mean_loss"));
                if (closed.get("calibration") instanceof Map<?, ?> cal && cal.get("ece") instanceof Double ece) {
                    summary += String.format(Locale.ROOT, "  ECE %.4f", ece);
                }
                summary += " (" + scored.size() + " examples)";
                if (!unknown.isEmpty()) {
                    Map<String, Object> open = openSet(scored, unknown, head);
                    evaluation.put("open_set", open);
                    StringBuilder sb = new StringBuilder();
                    for (Map.Entry<String, Object> e : open.entrySet()) {
                        if (e.getValue() instanceof Map<?, ?> byScore && byScore.get("auroc") instanceof Double a) {
                            sb.append(String.format(Locale.ROOT, "  %s: AUROC %.4f OSCR %.4f", e.getKey(), a,
                                    (Double) byScore.get("oscr")));
                        }
                    }
                    summary += ";" + sb + " (" + unknown.size() + " unknown)";
                }
                List<Scoring.Scored> all = new ArrayList<>(scored);
                all.addAll(unknown);
                rows = all.stream().map(EvaluateJob::row).toList();
                schema = SCHEMA;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        evaluation.put("seconds", seconds);
        write(spark, out, rows, schema, evaluation);
        LOG.info("evaluation of {} on {} written to {}", model.located().model(), shards.root(), out);
        return new Result(out, evaluation, summary, seconds);
    }

    // ---- closed and open set ----

    static Map<String, Object> closedSet(List<Scoring.Scored> scored, Scoring.Head head, ShardSet shards) {
        int n = scored.size();
        int[] labels = new int[n];
        int[] predictions = new int[n];
        long top5 = 0;
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            Scoring.Scored r = scored.get(i);
            labels[i] = r.label();
            predictions[i] = r.prediction();
            for (int c : r.top5()) {
                if (c == r.label()) {
                    top5++;
                    break;
                }
            }
            lossSum += r.loss();
        }
        ConfusionMatrix cm = ClosedSetMetrics.confusionMatrix(labels, predictions, head.classes());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("examples", n);
        m.put("top1", cm.accuracy());
        m.put("top5", n == 0 ? null : (double) top5 / n);
        m.put("top5_k", Math.min(5, head.classes()));
        m.put("mean_loss", n == 0 ? null : lossSum / n);
        m.put("balanced_accuracy", nullable(cm.balancedAccuracy()));
        m.put("per_class_accuracy", nullables(cm.perClassAccuracy()));
        m.put("support", cm.support());
        if (head.classes() <= 100) {
            m.put("confusion_matrix", cm.counts());
        } else {
            m.put("confusion_matrix", "omitted for more than 100 classes; count it from " + PREDICTIONS);
        }
        if (head.logits()) {
            double[] conf = new double[n];
            boolean[] correct = new boolean[n];
            for (int i = 0; i < n; i++) {
                conf[i] = scored.get(i).maxSoftmax();
                correct[i] = scored.get(i).softmaxArgmax() == labels[i];
            }
            Calibration cal = ClosedSetMetrics.calibration(conf, correct, ClosedSetMetrics.GUO_BINS);
            m.put("calibration", cal.toMap());
        } else {
            m.put("calibration", Map.of("ece", "not defined: the head (a target loss) has no probabilities"));
        }
        if (head.centres()) {
            Map<String, Object> rules = new LinkedHashMap<>();
            for (Decision r : Decision.values()) {
                long ok = 0;
                for (Scoring.Scored x : scored) {
                    ok += x.rules()[r.ordinal()] == x.label() ? 1 : 0;
                }
                rules.put(r.configName(), n == 0 ? null : (double) ok / n);
            }
            m.put("rules", rules);
        }
        Manifest.Split train = shards.manifest().splits().get(Manifest.TRAIN);
        if (train != null && train.perClass() != null && train.perClass().size() == head.classes()) {
            long[] counts = train.perClass().stream().mapToLong(Long::longValue).toArray();
            m.put("long_tail", ClosedSetMetrics.longTailAccuracy(labels, predictions, counts).toMap());
            m.put("train_counts", counts);
        }
        return m;
    }

    static Map<String, Object> openSet(List<Scoring.Scored> known, List<Scoring.Scored> unknown,
                                               Scoring.Head head) {
        Map<String, ToDoubleFunction<Scoring.Scored>> scores = new LinkedHashMap<>();
        if (head.centres()) {
            scores.put("dsc_score", Scoring.Scored::dscScore);
            scores.put("max_cosine", Scoring.Scored::maxCosine);
        }
        if (head.logits()) {
            scores.put("max_logit", Scoring.Scored::maxLogit);
            scores.put("max_softmax", Scoring.Scored::maxSoftmax);
        }
        boolean[] correct = new boolean[known.size()];
        long ok = 0;
        for (int i = 0; i < correct.length; i++) {
            correct[i] = known.get(i).prediction() == known.get(i).label();
            ok += correct[i] ? 1 : 0;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("known_examples", known.size());
        out.put("unknown_examples", unknown.size());
        out.put("closed_set_accuracy", known.isEmpty() ? null : (double) ok / known.size());
        for (Map.Entry<String, ToDoubleFunction<Scoring.Scored>> e : scores.entrySet()) {
            double[] k = known.stream().mapToDouble(e.getValue()).toArray();
            double[] u = unknown.stream().mapToDouble(e.getValue()).toArray();
            double auroc = Auroc.auroc(k, u);
            double oscr = Oscr.compute(k, correct, u).oscr();
            Map<String, Object> byScore = new LinkedHashMap<>();
            byScore.put("auroc", auroc);
            byScore.put("oscr", oscr);
            byScore.put("auroc_oscr_mean", (auroc + oscr) / 2);
            boolean[] positive = new boolean[k.length + u.length];
            double[] all = new double[k.length + u.length];
            for (int i = 0; i < all.length; i++) {
                positive[i] = i < k.length;
                all[i] = i < k.length ? k[i] : u[i - k.length];
            }
            byScore.put("roc", thin(Auroc.roc(all, positive), ROC_POINTS));
            out.put(e.getKey(), byScore);
        }
        return out;
    }

    /** Points of a ROC curve kept in evaluation.json (for plots); the full curve follows from the Parquet file. */
    static final int ROC_POINTS = 200;

    /** At most about {@code points} points of the curve, evenly spaced in the index, first and last kept. */
    static Map<String, Object> thin(io.protospark.metrics.RocCurve roc, int points) {
        double[] fpr = roc.fpr();
        double[] tpr = roc.tpr();
        int step = Math.max(1, (fpr.length + points - 1) / points);
        List<Double> f = new ArrayList<>();
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < fpr.length; i += step) {
            f.add(fpr[i]);
            t.add(tpr[i]);
        }
        if ((fpr.length - 1) % step != 0) {
            f.add(fpr[fpr.length - 1]);
            t.add(tpr[tpr.length - 1]);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fpr", f);
        m.put("tpr", t);
        return m;
    }

    // ---- verification ----

    private record Verified(VerificationResult result, Map<String, Object> metrics, List<Row> rows) {
    }

    /** InsightFace's protocol on the pairs (in id order): L2-normalised embeddings, 10 folds. */
    static VerificationResult verification(List<Scoring.PairEmbedding> pairs) {
        return Verification.evaluate(normalised(pairs, true), normalised(pairs, false), same(pairs),
                Verification.FOLDS);
    }

    private static double[][] normalised(List<Scoring.PairEmbedding> pairs, boolean first) {
        double[][] out = new double[pairs.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Verification.l2normalize(first ? pairs.get(i).a() : pairs.get(i).b());
        }
        return out;
    }

    private static boolean[] same(List<Scoring.PairEmbedding> pairs) {
        boolean[] same = new boolean[pairs.size()];
        for (int i = 0; i < same.length; i++) {
            same[i] = pairs.get(i).same();
        }
        return same;
    }

    private static Verified verify(List<Scoring.PairEmbedding> pairs, Settings s, String split) {
        int n = pairs.size();
        VerificationResult r = verification(pairs);
        double[] dist = Verification.squaredDistances(normalised(pairs, true), normalised(pairs, false));
        Map<String, Object> m = new LinkedHashMap<>(r.toMap());
        m.put("layer", s.layer());
        m.put("flip_sum", s.flipSum());
        m.put("distance", "squared euclidean between L2-normalised embeddings");
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Scoring.PairEmbedding p = pairs.get(i);
            rows.add(RowFactory.create(split, p.id(), p.same(), p.fold(), dist[i]));
        }
        return new Verified(r, m, rows);
    }

    // ---- input ----

    /**
     * A split's examples in about {@code partitions} partitions, each sorted by id ({@link ShardRdds}): the
     * minibatches (and so every float the network computes for an example) are the same in every run.
     */
    static JavaRDD<Scoring.Input> read(JavaSparkContext jsc, ShardSet shards, String split, int partitions) {
        return ShardRdds.rows(jsc, shards, split, partitions, ShardSchema.ID, ShardSchema.LABEL, ShardSchema.PIXELS)
                .map(v -> new Scoring.Input((Long) v[0], (Integer) v[1], (byte[]) v[2]));
    }

    /** A split's verification pairs, as {@link #read}. */
    static JavaRDD<Scoring.PairInput> readPairs(JavaSparkContext jsc, ShardSet shards, String split,
                                                int partitions) {
        return ShardRdds.rows(jsc, shards, split, partitions, ShardSchema.ID, ShardSchema.LABEL, ShardSchema.FOLD,
                        ShardSchema.PIXELS_A, ShardSchema.PIXELS_B)
                .map(v -> new Scoring.PairInput((Long) v[0], (Integer) v[1] == 1, (Integer) v[2], (byte[]) v[3],
                        (byte[]) v[4]));
    }

    /** The model's input normalisation, no augmentation. */
    static Decoding decoding(ModelSettings m) {
        return io.protospark.jobs.train.TrainLoop.inputDecoding(m);
    }

    /** The split of another data set that holds the unknown examples: the one given, else test-unknown, else test. */
    static String unknownSplit(ShardSet unknown, String given) {
        if (!given.isBlank()) {
            return given;
        }
        return unknown.splits().contains(Manifest.TEST_UNKNOWN) ? Manifest.TEST_UNKNOWN : Manifest.TEST;
    }

    /** The data set named by {@code flag} must hold images of the model's input shape (as training checks it). */
    static void checkShape(ShardSet shards, ModelSettings m, String flag) {
        if (shards.manifest().encoded()) {
            throw new IllegalArgumentException("the data set " + shards.root() + " (" + flag + ") holds encoded "
                    + "images (prepare.store = encoded); evaluation and embedding read decoded pixels: prepare it "
                    + "with prepare.store = pixels and --image-size " + m.input().height());
        }
        if (!io.protospark.jobs.train.TrainLoop.sameImageShape(shards, m)) {
            throw new IllegalArgumentException("the data set " + shards.root() + " (" + flag + ") holds images of "
                    + io.protospark.jobs.train.TrainLoop.imageShape(shards) + " but the model takes "
                    + m.input().shape());
        }
    }

    private static Map<String, Object> describe(ShardSet shards, String split) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("path", shards.root().toString());
        d.put("manifest_sha256", TrainedModels.dataSha256(shards.manifest()));
        d.put("format", shards.manifest().format());
        d.put("split", split);
        d.put("examples", java.util.Arrays.stream(split.split(",")).mapToLong(shards::examples).sum());
        return d;
    }

    private static URI defaultOut(Model model, String split, ShardSet shards, boolean pairs) {
        Path runDir = model.located().runDir();
        String name = model.located().which() + "-" + (pairs ? new Path(shards.root()).getName() + "-" + split : split);
        return new Path(new Path(runDir, "evaluation"), name).toUri();
    }

    // ---- output ----

    static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false),
            DataTypes.createStructField("known", DataTypes.BooleanType, false),
            DataTypes.createStructField("prediction", DataTypes.IntegerType, false),
            DataTypes.createStructField("top5", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            DataTypes.createStructField("loss", DataTypes.DoubleType, true),
            DataTypes.createStructField("max_softmax", DataTypes.DoubleType, true),
            DataTypes.createStructField("softmax_prediction", DataTypes.IntegerType, true),
            DataTypes.createStructField("max_logit", DataTypes.DoubleType, true),
            DataTypes.createStructField("dsc_score", DataTypes.DoubleType, true),
            DataTypes.createStructField("max_cosine", DataTypes.DoubleType, true),
            DataTypes.createStructField("pred_dot", DataTypes.IntegerType, true),
            DataTypes.createStructField("pred_cosine", DataTypes.IntegerType, true),
            DataTypes.createStructField("pred_euclidean", DataTypes.IntegerType, true),
            DataTypes.createStructField("pred_combined", DataTypes.IntegerType, true),
    });

    static final StructType PAIR_SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("set", DataTypes.StringType, false),
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("same", DataTypes.BooleanType, false),
            DataTypes.createStructField("fold", DataTypes.IntegerType, false),
            DataTypes.createStructField("distance", DataTypes.DoubleType, false),
    });

    private static Row row(Scoring.Scored r) {
        Integer[] rules = new Integer[4];
        if (r.rules() != null) {
            for (int i = 0; i < 4; i++) {
                rules[i] = r.rules()[i];
            }
        }
        List<Integer> top5 = java.util.Arrays.stream(r.top5()).boxed().toList();
        return RowFactory.create(r.id(), r.label(), r.known(), r.prediction(),
                top5, nullable(r.loss()),
                nullable(r.maxSoftmax()), r.softmaxArgmax() < 0 ? null : r.softmaxArgmax(), nullable(r.maxLogit()),
                nullable(r.dscScore()), nullable(r.maxCosine()), rules[0], rules[1], rules[2], rules[3]);
    }

    /** Publishes the predictions (written aside, then renamed) and then the evaluation (atomically). */
    private static void write(SparkSession spark, URI out, List<Row> rows, StructType schema,
                              Map<String, Object> evaluation) {
        try (RunDirectory dir = RunDirectory.open(out, spark.sparkContext().hadoopConfiguration())) {
            String tmp = "." + PREDICTIONS + ".tmp-" + java.util.UUID.randomUUID();
            ParquetFiles.write(dir.path(tmp), schema, rows, spark.sparkContext().hadoopConfiguration());
            dir.replace(tmp, PREDICTIONS);
            dir.writeText(EVALUATION, Json.pretty(evaluation));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot close " + out + ": " + e.getMessage(), e);
        }
    }

    private static Double nullable(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static List<Double> nullables(double[] v) {
        List<Double> out = new ArrayList<>(v.length);
        for (double x : v) {
            out.add(nullable(x));
        }
        return out;
    }
}
