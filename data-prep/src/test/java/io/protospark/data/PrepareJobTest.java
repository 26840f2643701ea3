package io.protospark.data;

import io.protospark.config.SettingsException;
import io.protospark.data.idx.IdxTestFiles;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardRows;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.protospark.data.idx.IdxTestFiles.label;
import static io.protospark.data.idx.IdxTestFiles.pixel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PrepareJob} end to end on small IDX data sets the test writes, with one local Spark session. */
class PrepareJobTest extends LocalSparkTest {
    private static final int TRAIN = 300;
    private static final int TEST = 120;
    private static final int SIDE = 28;
    private static final int CLASSES = 10;
    /** 300 x (784 + 28) bytes = 243 600 bytes of train data: 3 shards of at most 100 KiB; test fits in 1. */
    private static final double SHARD_MB = 100.0 / 1024;

    @TempDir
    static Path shared;
    private static Path input;

    @TempDir
    Path work;

    @BeforeAll
    static void writeInput() {
        input = IdxTestFiles.dataset(shared.resolve("raw"), TRAIN, TEST, SIDE, SIDE, CLASSES);
    }

    private static PrepareSettings settings(Path in, Path out, boolean overwrite) {
        return new PrepareSettings("idx", in.toUri(), out.toUri(), SHARD_MB, overwrite, CLASSES, List.of());
    }

    @Test
    void writesShardsManifestAndChecksums() throws IOException {
        Path out = work.resolve("prepared");
        PrepareResult result = PrepareJob.run(settings(input, out, false), spark);

        assertEquals(TRAIN, result.examples().get("train"));
        assertEquals(TEST, result.examples().get("test"));
        assertTrue(result.seconds() > 0);

        // layout: only parts and the manifest, nothing left beside the output
        assertEquals(List.of("manifest.json", "test", "train"), names(out));
        assertEquals(List.of("part-00000.parquet", "part-00001.parquet", "part-00002.parquet"),
                names(out.resolve("train")));
        assertEquals(List.of("part-00000.parquet"), names(out.resolve("test")));
        assertEquals(List.of("prepared"), names(work));

        Manifest m = Manifest.read(out.toUri(), hadoop());
        assertEquals(1, m.version());
        assertEquals("idx", m.format());
        assertEquals(CLASSES, m.classes());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), m.classNames());
        assertEquals(new Manifest.Image(SIDE, SIDE, 1), m.image());
        assertEquals(List.of("train", "test"), List.copyOf(m.splits().keySet()));
        assertEquals(TRAIN, m.splits().get("train").examples());
        assertEquals(perClass(TRAIN), m.splits().get("train").perClass());
        assertEquals(perClass(TEST), m.splits().get("test").perClass());
        assertEquals(List.of(100L, 100L, 100L),
                m.files("train").stream().map(Manifest.ShardFile::examples).toList());
        assertEquals(result.files(), m.files());
        assertEquals(4, m.source().files().size());
        assertTrue(m.source().input().endsWith("/raw") || m.source().input().endsWith("/raw/"), m.source().input());

        ShardSet shards = shards(out);
        assertEquals(3, shards.files("train").size());
        assertEquals(CLASSES, shards.classes());
        assertEquals(SIDE, shards.height());

        // every row: schema, label and pixels as in the input, ids in source order within each shard
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? TRAIN : TEST;
            Dataset<Row> df = spark.read().parquet(shards.parquetPaths(split));
            assertEquals(names(ShardSchema.SCHEMA.fields()), names(df.schema().fields()));
            assertEquals(ShardSchema.SCHEMA.simpleString(), df.schema().asNullable().simpleString());
            List<Row> rows = df.collectAsList();
            assertEquals(n, rows.size());
            boolean[] seen = new boolean[n];
            for (Row r : rows) {
                int id = (int) r.getLong(0);
                assertFalse(seen[id], "id " + id + " twice");
                seen[id] = true;
                assertEquals(label(id, CLASSES), r.getInt(1), "label of " + id);
                assertEquals(SIDE, r.getInt(2));
                assertEquals(SIDE, r.getInt(3));
                assertEquals(1, r.getInt(4));
                byte[] expected = new byte[SIDE * SIDE];
                for (int p = 0; p < expected.length; p++) {
                    expected[p] = pixel(id, p);
                }
                assertArrayEquals(expected, (byte[]) r.get(5), "pixels of " + split + " " + id);
            }
        }
        long first = spark.read().parquet(shards.files("train").get(1).toString())
                .agg(org.apache.spark.sql.functions.min("id")).first().getLong(0);
        assertEquals(100, first);
    }

    @Test
    void shardRowsReadEverySplitInIdOrderHoweverCut() {
        Path out = work.resolve("prepared");
        PrepareJob.run(settings(input, out, false), spark);
        ShardSet shards = shards(out);
        assertTrue(shards.files("train").size() > 1, "the test wants several shards");
        List<Row> expected = rows(shards, "train");
        for (int parts : new int[] {1, 2, shards.files("train").size() + 3, TRAIN + 50}) {
            List<ShardRows.Range> plan = ShardRows.plan(shards, "train", parts, hadoop());
            List<Object[]> read = new ArrayList<>();
            for (ShardRows.Range r : plan) {
                try (ShardRows rows = ShardRows.open(r, hadoop(), ShardSchema.ID, ShardSchema.LABEL,
                        ShardSchema.PIXELS)) {
                    rows.forEachRemaining(read::add);
                }
            }
            assertEquals(expected.size(), read.size(), parts + " parts");
            for (int i = 0; i < read.size(); i++) {
                Row e = expected.get(i);
                assertEquals(e.getLong(0), (Long) read.get(i)[0], parts + " parts, row " + i);
                assertEquals(e.getInt(1), (Integer) read.get(i)[1]);
                assertArrayEquals((byte[]) e.getAs(ShardSchema.PIXELS), (byte[]) read.get(i)[2]);
            }
            assertTrue(plan.size() >= Math.min(parts, TRAIN), parts + " parts planned as " + plan.size());
        }
        ShardRows.Range first = ShardRows.plan(shards, "train", 1, hadoop()).get(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardRows.open(first, hadoop(), "no_such_column").next());
        assertTrue(e.getMessage().contains(first.file().toString()) && e.getMessage().contains("no_such_column"),
                e.getMessage());
        ShardRows.Range beyond = new ShardRows.Range(first.file(), 0, first.to() + 1);
        IllegalStateException short_ = assertThrows(IllegalStateException.class, () -> {
            try (ShardRows rows = ShardRows.open(beyond, hadoop(), ShardSchema.ID)) {
                rows.forEachRemaining(x -> { });
            }
        });
        assertTrue(short_.getMessage().contains("ends after " + first.to() + " rows"), short_.getMessage());
    }

    /**
     * {@code prepare.row-group-mb} of 0.05 MiB: Parquet checks a row group's size every 100 rows at the least, and 100
     * rows of 812 bytes exceed it, so the one train shard holds row groups of 100 rows, between which
     * {@link ShardRows#plan} cuts it; beyond three pieces it cuts inside them. Every plan reads every row once, in id
     * order, and a limit reads the smallest ids.
     */
    @Test
    void shardsHoldRowGroupsOfRowGroupMbAndPlansCutBetweenThem() throws IOException {
        Path out = work.resolve("row-groups");
        PrepareJob.run(new PrepareSettings("idx", input.toUri(), out.toUri(), 64, false, CLASSES, List.of(), 0, 0,
                "first", 1.0, 0.0, "", 0, "shorter-side-crop", "fail", null, null, null, null, 0.05), spark);
        ShardSet shards = shards(out);
        assertEquals(1, shards.files("train").size());
        java.net.URI file = shards.files("train").get(0);
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file),
                        hadoop()))) {
            assertEquals(List.of(100L, 100L, 100L), r.getRowGroups().stream()
                    .map(org.apache.parquet.hadoop.metadata.BlockMetaData::getRowCount).toList());
        }
        assertEquals(List.of(new ShardRows.Range(file, 0, 100), new ShardRows.Range(file, 100, 200),
                new ShardRows.Range(file, 200, 300)), ShardRows.plan(shards, "train", 3, hadoop()));
        assertEquals(List.of(new ShardRows.Range(file, 0, 100), new ShardRows.Range(file, 100, 300)),
                ShardRows.plan(shards, "train", 2, hadoop()), "150 is halfway: the lower boundary");
        assertEquals(List.of(new ShardRows.Range(file, 0, 100), new ShardRows.Range(file, 100, 150)),
                ShardRows.plan(shards, "train", 2, 150, hadoop()), "the first 150 rows");
        assertEquals(List.of(new ShardRows.Range(file, 0, 50), new ShardRows.Range(file, 50, 100),
                new ShardRows.Range(file, 100, 200), new ShardRows.Range(file, 200, 300)),
                ShardRows.plan(shards, "train", 4, hadoop()), "more pieces than row groups");

        List<Row> expected = rows(shards, "train");
        for (long limit : new long[] {0, 1, 150, TRAIN}) {
            for (int parts = 1; parts <= 8; parts++) {
                List<Long> ids = new ArrayList<>();
                for (ShardRows.Range range : ShardRows.plan(shards, "train", parts, limit, hadoop())) {
                    try (ShardRows rows = ShardRows.open(range, hadoop(), ShardSchema.ID, ShardSchema.PIXELS)) {
                        rows.forEachRemaining(v -> {
                            Row e = expected.get(ids.size());
                            assertArrayEquals((byte[]) e.getAs(ShardSchema.PIXELS), (byte[]) v[1]);
                            ids.add((Long) v[0]);
                        });
                    }
                }
                long n = limit > 0 ? limit : TRAIN;
                assertEquals(expected.subList(0, (int) n).stream().map(r -> r.getLong(0)).toList(), ids,
                        parts + " parts, limit " + limit);
            }
        }
    }

    @Test
    void tamperedShardIsRefused() throws IOException {
        Path out = work.resolve("tampered");
        PrepareJob.run(settings(input, out, false), spark);
        Manifest m = Manifest.read(out.toUri(), hadoop());
        Manifest.ShardFile victim = m.files("train").get(1);
        try (RandomAccessFile f = new RandomAccessFile(out.resolve(victim.path()).toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x01);
        }
        String msg = assertThrows(DataFormatException.class, () -> shards(out))
                .getMessage();
        assertTrue(msg.contains(out.resolve(victim.path()).toString()), msg);
        assertTrue(msg.contains("expected SHA-256 " + victim.sha256()), msg);
        assertTrue(msg.matches("(?s).*found [0-9a-f]{64}.*"), msg);

        Files.delete(out.resolve(victim.path()));
        msg = assertThrows(DataFormatException.class, () -> shards(out)).getMessage();
        assertTrue(msg.contains(victim.path()) && msg.contains("does not exist"), msg);
    }

    @Test
    void existingOutputIsRefusedUnlessOverwrite() throws IOException {
        Path out = work.resolve("existing");
        Files.createDirectories(out);
        Path marker = Files.writeString(out.resolve("keep-me"), "x");
        SettingsException e = assertThrows(SettingsException.class,
                () -> PrepareJob.run(settings(input, out, false), spark));
        assertEquals(PrepareSettings.OUTPUT, e.key());
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("overwrite"), e.getMessage());
        assertTrue(Files.exists(marker));
        assertEquals(List.of("existing"), names(work));

        PrepareJob.run(settings(input, out, true), spark);
        assertFalse(Files.exists(marker));
        assertEquals(List.of("manifest.json", "test", "train"), names(out));
        assertEquals(List.of("existing"), names(work));
        shards(out);
    }

    @Test
    void malformedInputLeavesNoOutputAndNoTempDir() throws IOException {
        // train is valid and gets written; the test labels hold a value out of range
        Path raw = IdxTestFiles.dataset(work.resolve("bad-raw"), TRAIN, TEST, SIDE, SIDE, CLASSES);
        byte[] labels = Files.readAllBytes(raw.resolve("t10k-labels-idx1-ubyte"));
        labels[8 + 17] = 10;
        Files.write(raw.resolve("t10k-labels-idx1-ubyte"), labels);
        Path out = work.resolve("out");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(raw, out, false), spark)).getMessage();
        assertTrue(msg.contains("t10k-labels-idx1-ubyte") && msg.contains("record 17"), msg);
        assertEquals(List.of("bad-raw"), names(work));

        // a header problem is found before any Spark work, with the same guarantee
        Files.write(raw.resolve("t10k-labels-idx1-ubyte"), IdxTestFiles.labels(TEST - 1, CLASSES));
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings(raw, out, true), spark)).getMessage();
        assertTrue(msg.contains("counts disagree"), msg);
        assertEquals(List.of("bad-raw"), names(work));
    }

    @Test
    void realFashionMnist() {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.isDirectory(fashion), "Fashion-MNIST not installed (dataset-fashion-mnist)");
        Path out = work.resolve("fashion");
        List<String> names = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot");
        PrepareResult r = PrepareJob.run(new PrepareSettings("idx", fashion.toUri(), out.toUri(), 64, false, 10,
                names), spark);
        assertEquals(60000L, r.examples().get("train"));
        assertEquals(10000L, r.examples().get("test"));
        ShardSet shards = shards(out);
        assertEquals(names, shards.classNames());
        assertEquals(1, shards.files("train").size());
        assertEquals(List.of(6000L, 6000L, 6000L, 6000L, 6000L, 6000L, 6000L, 6000L, 6000L, 6000L),
                shards.manifest().splits().get("train").perClass());
        assertEquals(10000, spark.read().parquet(shards.parquetPaths("test")).count());
    }

    private static List<Long> perClass(int n) {
        long[] counts = new long[CLASSES];
        for (int i = 0; i < n; i++) {
            counts[label(i, CLASSES)]++;
        }
        return Arrays.stream(counts).boxed().toList();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> names(StructField[] fields) {
        return Arrays.stream(fields).map(StructField::name).toList();
    }
}
