package io.protospark.jobs.train;

import io.protospark.config.Configs;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareSettings;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.FashionSubset;
import io.protospark.jobs.LogCapture;
import io.protospark.jobs.TrainJob;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.spark.SharedSpark;
import org.apache.logging.log4j.Level;
import org.apache.spark.Dependency;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training read: every example once, in id order, in at least as many partitions as workers and without a
 * shuffle, whatever the shards' layout; the warning for a split too small for its workers; and the epoch's
 * permutation, which depends on seed, epoch and the examples, never on how they arrive.
 */
class ExampleRddsTest {
    private static final int TRAIN = 600;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    /** The same 600 training examples prepared three ways: one shard of six row groups of 100 rows ... */
    static Path rowGroups;
    /** ... one shard of one row group (as prepare wrote every shard before row groups were sized) ... */
    static Path oneRowGroup;
    /** ... and three shards of one row group each. */
    static Path threeShards;

    @BeforeAll
    static void prepare() throws Exception {
        spark = SharedSpark.session();
        Path raw = FashionSubset.write(tmp.resolve("raw"), TRAIN, 100);
        // Parquet checks a row group's size every 100 rows at the least: 0.05 MiB makes row groups of 100 rows
        rowGroups = prepare(raw, "row-groups", "prepare.row-group-mb=0.05");
        oneRowGroup = prepare(raw, "one-row-group", "prepare.row-group-mb=64");
        threeShards = prepare(raw, "three-shards", "prepare.shard-size-mb=0.2");
    }

    private static Path prepare(Path raw, String name, String setting) {
        Path out = tmp.resolve(name);
        PrepareJob.run(PrepareSettings.from(Configs.load(null, "test", List.of("prepare.input=\"" + raw + "\"",
                "prepare.output=\"" + out + "\"", setting))), spark);
        return out;
    }

    private static ShardSet shards(Path data) {
        return ShardSet.open(data.toUri(), spark.sparkContext().hadoopConfiguration());
    }

    private static String text(int label, byte[] pixels) {
        return label + ":" + Base64.getEncoder().encodeToString(pixels);
    }

    /** The split's examples as Spark SQL reads them, ordered by id. */
    private static List<String> byId(ShardSet shards, String split) {
        List<String> out = new ArrayList<>();
        for (Row r : spark.read().parquet(shards.parquetPaths(split)).orderBy(ShardSchema.ID).collectAsList()) {
            out.add(text(r.getInt(r.fieldIndex(ShardSchema.LABEL)), r.getAs(ShardSchema.PIXELS)));
        }
        return out;
    }

    /** Each partition's examples, as label + pixels, in order. */
    private static List<List<String>> layout(JavaRDD<Example> rdd) {
        List<List<String>> out = new ArrayList<>();
        for (List<Example> part : rdd.glom().collect()) {
            out.add(part.stream().map(e -> text(e.label(), e.pixels())).toList());
        }
        return out;
    }

    /** Whether computing {@code rdd} runs a shuffle anywhere in its lineage. */
    private static boolean shuffles(org.apache.spark.rdd.RDD<?> rdd) {
        scala.collection.Iterator<Dependency<?>> it = rdd.dependencies().iterator();
        while (it.hasNext()) {
            Dependency<?> d = it.next();
            if (d instanceof ShuffleDependency || shuffles(d.rdd())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theReadGivesEveryWorkerAPartitionWithEveryExampleOnceInIdOrderAndNoShuffle() {
        for (Path data : List.of(rowGroups, oneRowGroup, threeShards)) {
            ShardSet shards = shards(data);
            List<String> expected = byId(shards, "train");
            assertEquals(TRAIN, expected.size());
            assertEquals(TRAIN, expected.stream().distinct().count(), "the test wants distinct examples");
            for (int workers : new int[] {1, 2, 3, 4, 6, 8, 32}) {
                String what = data.getFileName() + ", " + workers + " workers";
                JavaRDD<Example> read = ExampleRdds.read(spark, shards, "train", workers, 0);
                assertFalse(shuffles(read.rdd()), what + ": " + read.toDebugString());
                List<List<String>> parts = layout(read);
                assertTrue(parts.size() >= workers, what + ": " + parts.size() + " partitions");
                assertTrue(parts.stream().noneMatch(List::isEmpty), what + ": an empty partition");
                assertEquals(expected, parts.stream().flatMap(List::stream).toList(), what);
                assertEquals(parts, layout(ExampleRdds.read(spark, shards, "train", workers, 0)),
                        what + ": the same partitions a second time");
                if (data == rowGroups && workers <= 6) {
                    // cut between the row groups of 100 rows only
                    assertTrue(parts.stream().allMatch(p -> p.size() % 100 == 0), what + ": " + parts.stream()
                            .map(List::size).toList());
                }
            }
            // max-train-examples: the examples of the smallest ids
            List<List<String>> first = layout(ExampleRdds.read(spark, shards, "train", 4, 250));
            assertTrue(first.size() >= 4);
            assertEquals(expected.subList(0, 250), first.stream().flatMap(List::stream).toList());
        }
    }

    @Test
    void aSplitTooSmallForItsWorkersIsWarnedAbout() {
        ShardSet shards = shards(threeShards);
        try (LogCapture log = LogCapture.of(ExampleRdds.class)) {
            assertNull(ExampleRdds.warnIfTooSmall(shards, "train", 0, 2, 64), "600 examples for 2 x 64");
            assertNull(ExampleRdds.warnIfTooSmall(shards, "train", 0, 9, 64), "600 examples for 9 x 64 = 576");
            assertEquals(List.of(), log.lines(Level.WARN));

            String tooFew = ExampleRdds.warnIfTooSmall(shards, "train", 0, 32, 64);
            assertEquals(List.of(tooFew), log.lines(Level.WARN));
            for (String part : List.of("split 'train' of " + shards.root(), "32 workers", "protospark.train.workers",
                    "600 examples in 3 shards", "32 x 64 = 2048", "about 18 examples an epoch")) {
                assertTrue(tooFew.contains(part), part + " in: " + tooFew);
            }

            String limited = ExampleRdds.warnIfTooSmall(shards, "train", 10, 16, 32);
            assertEquals(List.of(tooFew, limited), log.lines(Level.WARN));
            assertTrue(limited.contains("10 examples (protospark.train.max-train-examples of 600) in 1 shard,")
                    && limited.contains("at least 6 of the workers get no example"), limited);
        }
    }

    /**
     * One epoch with two workers trains to the same parameters bit for bit from the three layouts of the same
     * examples, although the read cuts them differently (two runs of three row groups; two row ranges inside one row
     * group; three whole files), because each epoch orders the examples by a hash of their content, not by how they
     * were read. (Two workers: DL4J sums the averaged parameters in the order the workers finish, exact for two.)
     */
    @Test
    void trainingDoesNotDependOnTheShardLayout() throws Exception {
        List<float[]> params = new ArrayList<>();
        List<float[]> updater = new ArrayList<>();
        for (Path data : List.of(rowGroups, oneRowGroup, threeShards)) {
            Path run = tmp.resolve("run-" + data.getFileName());
            TrainJob.Settings s = TrainJob.Settings.from(Configs.load(null, "test", List.of(
                    "train.data=\"" + data + "\"", "train.run-dir=\"" + run + "\"", "train.epochs=1",
                    "train.workers=2", "train.batch-size=32", "train.averaging-frequency=3", "train.report=false")));
            TrainLoop.run(s.train(), s.model(), s.resolved(), spark, List.of(), List.of());
            ComputationGraph m = ModelSerializer.restoreComputationGraph(run.resolve(TrainLoop.MODEL).toFile(), true);
            params.add(m.params().data().asFloat());
            updater.add(m.getUpdater().getStateViewArray().data().asFloat());
        }
        for (int i = 1; i < params.size(); i++) {
            assertArrayEquals(params.get(0), params.get(i), "parameters, layout " + i);
            assertArrayEquals(updater.get(0), updater.get(i), "updater state, layout " + i);
        }
    }

    private static List<Example> examples(int n) {
        Random rnd = new Random(7);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[16];
            rnd.nextBytes(pixels);
            out.add(new Example(i % 10, pixels));
        }
        return out;
    }

    @Test
    void theShuffleIsTheSameWhateverTheInputOrderAndPartitioning() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.session().sparkContext());
        List<Example> data = examples(500);
        List<Example> reversed = new ArrayList<>(data);
        Collections.reverse(reversed);
        JavaRDD<Example> a = jsc.parallelize(data, 3);
        JavaRDD<Example> b = jsc.parallelize(reversed, 7);
        List<List<String>> la = layout(ExampleRdds.shuffle(a, 42, 3, 2));
        assertEquals(la, layout(ExampleRdds.shuffle(b, 42, 3, 2)), "same examples, same permutation");
        assertEquals(500, la.get(0).size() + la.get(1).size());
        assertNotEquals(la, layout(ExampleRdds.shuffle(a, 42, 4, 2)), "another epoch, another permutation");
        assertNotEquals(la, layout(ExampleRdds.shuffle(a, 43, 3, 2)), "another seed, another permutation");
        assertEquals(layout(ExampleRdds.canonical(a, 2)), layout(ExampleRdds.canonical(b, 2)));
    }
}
