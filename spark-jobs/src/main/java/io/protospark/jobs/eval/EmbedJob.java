package io.protospark.jobs.eval;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.jobs.train.RunDirectory;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.config.SettingsException;
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

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code protospark embed}: the activations of one layer of a trained model (by default the backbone's
 * {@code embedding}) for every example of a prepared split, as Parquet ({@code id long, label int,
 * embedding array<float>}; pairs give {@code id, same, fold, embedding_a, embedding_b}), for search and clustering
 * systems. Written by the executors (no collect on the driver) under a hidden name and published with one rename. The
 * model and data keys are {@code evaluate}'s; the output and the flip-sum are {@code protospark.embed.*}.
 */
public final class EmbedJob {
    private EmbedJob() {
    }

    /** The command's settings: evaluate's model and data keys, embed's output and flip-sum. */
    public record Settings(URI model, String checkpoint, URI data, String split, URI out, int batchSize, String layer,
                           boolean flipSum) {
        public static Settings from(Config c) {
            EvaluateJob.Settings e = EvaluateJob.Settings.from(c);
            String out = Configs.getString(c, "protospark.embed.out");
            return new Settings(e.model(), e.checkpoint(), e.data(), e.split(),
                    out.isBlank() ? null : TrainSettings.toUri("protospark.embed.out", out), e.batchSize(), e.layer(),
                    Configs.getBoolean(c, "protospark.embed.flip-sum"));
        }
    }

    /** Where the embeddings went and how many rows. */
    public record Result(URI out, long rows, int dim, double seconds) {
    }

    static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false),
            DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    });

    static final StructType PAIR_SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("same", DataTypes.BooleanType, false),
            DataTypes.createStructField("fold", DataTypes.IntegerType, false),
            DataTypes.createStructField("embedding_a", DataTypes.createArrayType(DataTypes.FloatType, false), false),
            DataTypes.createStructField("embedding_b", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    });

    public static Result run(Settings s, SparkSession spark) {
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        EvaluateJob.Model model = EvaluateJob.Model.locate(s.model(), s.checkpoint(), hadoop);
        ModelSettings m = model.settings();
        int batch = model.batchSize(s.batchSize());
        ShardSet shards = ShardSet.open(s.data(), hadoop);
        EvaluateJob.checkShape(shards, m, "--data");
        if (!shards.splits().contains(s.split())) {
            throw new SettingsException("protospark.evaluate.split", "must name a split of the data set "
                    + shards.root(), s.split(), "it has " + new java.util.TreeSet<>(shards.splits()));
        }
        boolean pairs = Manifest.PAIRS.equals(shards.manifest().schema());
        URI out = s.out() != null ? s.out() : new Path(new Path(model.located().runDir(), "embeddings"),
                model.located().which() + "-" + (pairs ? new Path(shards.root()).getName() + "-" : "") + s.split()
                        + ".parquet").toUri();
        var net = model.located().load(hadoop);
        if (net.getVertex(s.layer()) == null) {
            throw new SettingsException("protospark.evaluate.layer", "must name a vertex of the network",
                    s.layer(), "it has " + java.util.Arrays.stream(net.getVertices()).map(v -> v.getVertexName())
                    .toList());
        }
        var decoding = EvaluateJob.decoding(m);
        int partitions = jsc.defaultParallelism();
        Path target = new Path(out);
        Path parent = target.getParent();
        long rows;
        int[] dim = new int[1];
        try (BroadcastNetwork shipped = BroadcastNetwork.of(jsc, net);
             RunDirectory dir = RunDirectory.open(parent.toUri(), hadoop)) {
            String tmp = "." + target.getName() + ".tmp-" + java.util.UUID.randomUUID();
            org.apache.spark.sql.Dataset<Row> df;
            if (pairs) {
                JavaRDD<Scoring.PairInput> in = EvaluateJob.readPairs(JavaSparkContext.fromSparkContext(spark.sparkContext()), shards, s.split(), partitions);
                JavaRDD<Row> out2 = Scoring.embedPairs(shipped, in, s.layer(), decoding, batch, s.flipSum(),
                        m.classes()).map(p -> RowFactory.create(p.id(), p.same(), p.fold(), floats(p.a()),
                        floats(p.b())));
                df = spark.createDataFrame(out2, PAIR_SCHEMA);
            } else {
                JavaRDD<Scoring.Input> in = EvaluateJob.read(JavaSparkContext.fromSparkContext(spark.sparkContext()), shards, s.split(), partitions);
                JavaRDD<Row> out2 = Scoring.embed(shipped, in, s.layer(), decoding, batch, s.flipSum(),
                        m.classes()).map(e -> RowFactory.create(e.id(), e.label(), boxed(e.embedding())));
                df = spark.createDataFrame(out2, SCHEMA);
            }
            df.write().parquet(dir.path(tmp).toString());
            dir.replace(tmp, target.getName());
            var written = spark.read().parquet(target.toString());
            rows = written.count();
            Row first = rows == 0 ? null : written.first();
            dim[0] = first == null ? 0 : first.getList(pairs ? 3 : 2).size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot close " + parent + ": " + e.getMessage(), e);
        }
        return new Result(out, rows, dim[0], (System.nanoTime() - start) / 1e9);
    }

    /** An array column value as Spark's row encoder takes it (a Scala sequence). */
    private static scala.collection.Seq<Float> floats(double[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (double x : v) {
            out.add((float) x);
        }
        return scala.collection.JavaConverters.asScalaBuffer(out).toSeq();
    }

    private static scala.collection.Seq<Float> boxed(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float x : v) {
            out.add(x);
        }
        return scala.collection.JavaConverters.asScalaBuffer(out).toSeq();
    }
}
