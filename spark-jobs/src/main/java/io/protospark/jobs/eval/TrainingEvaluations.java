package io.protospark.jobs.eval;

import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.jobs.train.ExtraEvaluation;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.metrics.VerificationResult;
import io.protospark.model.net.ModelSettings;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation sets of {@code protospark.train.eval.sets} as the training loop runs them: each set's data is opened
 * and checked against the model before training starts, read once and kept in memory, and scored after the due epochs
 * by {@link Scoring} with the metric code of {@link EvaluateJob}, so that a metric in {@code metrics.jsonl} equals
 * what {@code evaluate} reports for the same model and data.
 */
public final class TrainingEvaluations {
    private TrainingEvaluations() {
    }

    /** One evaluation per set, in their order; every set's data is checked here, before any training. */
    public static List<ExtraEvaluation> of(TrainSettings t, ModelSettings m, SparkSession spark) {
        List<ExtraEvaluation> out = new ArrayList<>();
        List<TrainSettings.Extra> sets = t.evaluations().sets();
        for (int i = 0; i < sets.size(); i++) {
            out.add(open(sets.get(i), "protospark.train.eval.sets[" + i + "]", t, m, spark));
        }
        return out;
    }

    private static ExtraEvaluation open(TrainSettings.Extra x, String key, TrainSettings t, ModelSettings m,
                                        SparkSession spark) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        var hadoop = jsc.hadoopConfiguration();
        ShardSet shards = ShardSet.open(x.data().orElse(t.data()), hadoop);
        boolean pairs = Manifest.PAIRS.equals(shards.manifest().schema());
        String split = !x.split().isBlank() ? x.split() : t.evalSplit();
        if (!shards.splits().contains(split)) {
            throw new SettingsException(key + ".split", "must name a split of the data set " + shards.root(), split,
                    "it has " + new java.util.TreeSet<>(shards.splits()));
        }
        EvaluateJob.checkShape(shards, m, key + ".data");
        Decoding decoding = EvaluateJob.decoding(m);
        int partitions = jsc.defaultParallelism();
        int batch = t.evaluations().batchSize();
        if (pairs) {
            if (x.unknownData().isPresent()) {
                throw new SettingsException(key + ".unknown-data", "applies to a classification split, not to the "
                        + "verification pairs of " + shards.root(), x.unknownData().get().toString(), "leave it empty");
            }
            JavaRDD<Scoring.PairInput> input = EvaluateJob.readPairs(JavaSparkContext.fromSparkContext(spark.sparkContext()), shards, split, partitions)
                    .persist(StorageLevel.MEMORY_ONLY());
            return new Named(x.name(), true, (sc, net) -> {
                try (BroadcastNetwork shipped = BroadcastNetwork.of(sc, net)) {
                    List<Scoring.PairEmbedding> embedded = new ArrayList<>(Scoring.embedPairs(shipped, input,
                            io.protospark.model.net.Networks.EMBEDDING, decoding, batch, true, m.classes())
                            .collect());
                    embedded.sort(Comparator.comparingLong(Scoring.PairEmbedding::id));
                    VerificationResult r = EvaluateJob.verification(embedded);
                    Map<String, Double> v = new LinkedHashMap<>();
                    v.put("accuracy", r.roc().accuracyMean());
                    v.put("accuracy_std", r.roc().accuracyStd());
                    v.put("tar", r.val().valMean());
                    v.put("far", r.val().farMean());
                    return v;
                }
            });
        }
        if (shards.classes() != m.classes()) {
            throw new SettingsException(key + ".data", "must have the model's " + m.classes() + " classes",
                    shards.root().toString(), "it has " + shards.classes());
        }
        ShardSet unknownShards = null;
        String unknownSplit = null;
        if (x.unknownData().isPresent()) {
            unknownShards = ShardSet.open(x.unknownData().get(), hadoop);
            EvaluateJob.checkShape(unknownShards, m, key + ".unknown-data");
            unknownSplit = EvaluateJob.unknownSplit(unknownShards, x.unknownSplit());
        } else if (!x.unknownSplit().isBlank()) {
            unknownShards = shards;
            unknownSplit = x.unknownSplit();
        }
        if (unknownShards != null && !unknownShards.splits().contains(unknownSplit)) {
            throw new SettingsException(key + ".unknown-split", "must name a split of the data set "
                    + unknownShards.root(), unknownSplit, "it has " + new java.util.TreeSet<>(unknownShards.splits()));
        }
        Scoring.Head head = Scoring.Head.of(m);
        JavaRDD<Scoring.Input> known = EvaluateJob.read(JavaSparkContext.fromSparkContext(spark.sparkContext()), shards, split, partitions)
                .persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<Scoring.Input> unknown = unknownShards == null ? null
                : EvaluateJob.read(JavaSparkContext.fromSparkContext(spark.sparkContext()), unknownShards, unknownSplit, partitions).persist(StorageLevel.MEMORY_ONLY());
        return new Named(x.name(), false, (sc, net) -> {
            try (BroadcastNetwork shipped = BroadcastNetwork.of(sc, net)) {
                List<Scoring.Scored> scored = new ArrayList<>(Scoring.score(sc, shipped, known, head, decoding, batch,
                        true, 0).collect());
                scored.sort(Comparator.comparingLong(Scoring.Scored::id));
                Map<String, Double> v = new LinkedHashMap<>();
                if (unknown == null) {
                    Map<String, Object> closed = EvaluateJob.closedSet(scored, head, shards);
                    v.put("top1", (Double) closed.get("top1"));
                    v.put("top5", (Double) closed.get("top5"));
                    v.put("mean_loss", (Double) closed.get("mean_loss"));
                    return v;
                }
                List<Scoring.Scored> u = new ArrayList<>(Scoring.score(sc, shipped, unknown, head, decoding, batch,
                        false, 0).collect());
                u.sort(Comparator.comparingLong(Scoring.Scored::id));
                Map<String, Object> open = EvaluateJob.openSet(scored, u, head);
                v.put("closed_set_accuracy", (Double) open.get("closed_set_accuracy"));
                open.forEach((score, value) -> {
                    if (value instanceof Map<?, ?> byScore) {
                        for (String metric : List.of("auroc", "oscr", "auroc_oscr_mean")) {
                            v.put(score + "." + metric, (Double) byScore.get(metric));
                        }
                    }
                });
                return v;
            }
        });
    }

    /** The network's metrics on one set. */
    @FunctionalInterface
    private interface Body {
        Map<String, Double> apply(JavaSparkContext jsc, ComputationGraph net);
    }

    private record Named(String name, boolean verification, Body body) implements ExtraEvaluation {
        @Override
        public Map<String, Double> evaluate(JavaSparkContext jsc, ComputationGraph net) {
            return body.apply(jsc, net);
        }
    }
}
