package io.protospark.data.cifar;

import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareResult;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.shard.ShardSet;
import io.protospark.data.testing.LocalSparkTest;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.protospark.data.cifar.CifarTestFiles.coarse;
import static io.protospark.data.cifar.CifarTestFiles.label;
import static io.protospark.data.cifar.CifarTestFiles.pixels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CIFAR-10 / CIFAR-100 binary folders written byte for byte, prepared end to end, every row checked. */
class CifarPrepareTest extends LocalSparkTest {
    private static final int PER_BATCH = 40;
    private static final int TEST = 50;
    /** 200 train rows of ~3100 bytes: 3 shards of at most 256 KiB. */
    private static final double SHARD_MB = 0.25;

    @TempDir
    Path work;

    static PrepareSettings settings(String format, Path in, Path out) {
        return new PrepareSettings(format, in.toUri(), out.toUri(), SHARD_MB, false, 10, List.of());
    }

    @Test
    void cifar10EveryLabelAndPixel() throws IOException {
        Path raw = CifarTestFiles.cifar10(work.resolve("cifar-10-batches-bin"), PER_BATCH, TEST);
        Path out = work.resolve("prepared");
        PrepareResult r = PrepareJob.run(settings("cifar10", raw, out), spark);
        assertEquals(Map.of("train", 200L, "test", 50L), r.examples());

        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals("cifar10", m.format());
        assertEquals(10, m.classes());
        assertEquals(CifarTestFiles.CIFAR10_NAMES, m.classNames());
        assertEquals(new Manifest.Image(32, 32, 3), m.image());
        assertNull(m.coarseClassNames());
        assertNull(m.transforms());
        assertEquals(3, shards.files("train").size());
        assertEquals(List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                        "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"),
                m.source().files().stream().map(Manifest.SourceFile::path).toList());
        for (String split : List.of("train", "test")) {
            List<Row> rows = rows(shards, split);
            int n = split.equals("train") ? 200 : TEST;
            assertEquals(n, rows.size());
            assertEquals(ShardSchema.SCHEMA.simpleString(),
                    spark.read().parquet(shards.parquetPaths(split)).schema().asNullable().simpleString());
            boolean[] seen = new boolean[n];
            long[] perClass = new long[10];
            for (Row row : rows) {
                int id = (int) row.getLong(0);
                assertFalse(seen[id]);
                seen[id] = true;
                assertEquals(label(split, id, 10), row.getInt(1), split + " label of " + id);
                assertEquals(List.of(32, 32, 3), List.of(row.getInt(2), row.getInt(3), row.getInt(4)));
                assertArrayEquals(pixels(split, id), (byte[]) row.get(5), split + " pixels of " + id);
                perClass[row.getInt(1)]++;
            }
            assertEquals(java.util.Arrays.stream(perClass).boxed().toList(), m.splits().get(split).perClass());
        }
    }

    @Test
    void cifar100FineAndCoarseLabels() throws IOException {
        Path raw = CifarTestFiles.cifar100(work.resolve("cifar-100-binary"), 150, 40);
        Path out = work.resolve("prepared100");
        PrepareJob.run(settings("cifar100", raw, out), spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        assertEquals(100, m.classes());
        assertEquals(CifarTestFiles.names("fine", 100), m.classNames());
        assertEquals(CifarTestFiles.names("coarse", 20), m.coarseClassNames());
        assertEquals(ShardSchema.SCHEMA_COARSE.simpleString(),
                spark.read().parquet(shards.parquetPaths("train")).schema().asNullable().simpleString());
        for (String split : List.of("train", "test")) {
            List<Row> rows = rows(shards, split);
            assertEquals(split.equals("train") ? 150 : 40, rows.size());
            for (Row row : rows) {
                int id = (int) row.getLong(0);
                assertEquals(label(split, id, 100), row.getInt(1));
                assertEquals(coarse(split, id), row.getInt(row.fieldIndex(ShardSchema.COARSE_LABEL)));
                assertArrayEquals(CifarTestFiles.pixels100(split, id), (byte[]) row.get(5));
            }
        }
    }

    @Test
    void partialRecordNamesFileSizeAndRecordSize() throws IOException {
        Path raw = CifarTestFiles.cifar10(work.resolve("raw"), PER_BATCH, TEST);
        Path victim = raw.resolve("data_batch_3.bin");
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.setLength(f.length() - 5);
        }
        Path out = work.resolve("out");
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("cifar10", raw, out), spark)).getMessage();
        long size = PER_BATCH * 3073L - 5;
        assertTrue(msg.contains(victim.toString()) && msg.contains("size " + size) && msg.contains("3073-byte"), msg);
        assertFalse(Files.exists(out));
        assertEquals(List.of("raw"), names(work));

        Path raw100 = CifarTestFiles.cifar100(work.resolve("raw100"), 10, 10);
        Files.write(raw100.resolve("test.bin"), new byte[3073]);
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("cifar100", raw100, out), spark)).getMessage();
        assertTrue(msg.contains("test.bin") && msg.contains("size 3073") && msg.contains("3074-byte"), msg);
    }

    @Test
    void badLabelMissingFileAndNamesAreNamed() throws IOException {
        Path raw = CifarTestFiles.cifar10(work.resolve("raw"), PER_BATCH, TEST);
        byte[] test = Files.readAllBytes(raw.resolve("test_batch.bin"));
        test[7 * 3073] = 10;
        Files.write(raw.resolve("test_batch.bin"), test);
        String msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("cifar10", raw, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("test_batch.bin") && msg.contains("record 7") && msg.contains("label 10"), msg);

        Files.writeString(raw.resolve("batches.meta.txt"), "a\nb\n");
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("cifar10", raw, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("batches.meta.txt") && msg.contains("2 class names"), msg);

        Files.delete(raw.resolve("data_batch_4.bin"));
        msg = assertThrows(DataFormatException.class,
                () -> PrepareJob.run(settings("cifar10", raw, work.resolve("o")), spark)).getMessage();
        assertTrue(msg.contains("[data_batch_4.bin]"), msg);
    }

    @Test
    void openSetLongTailAndValidationEndToEnd() throws IOException {
        Path raw = CifarTestFiles.cifar10(work.resolve("raw"), PER_BATCH, TEST);
        Path out = work.resolve("osr");
        PrepareSettings s = new PrepareSettings("cifar10", raw.toUri(), out.toUri(), SHARD_MB, false, 10, List.of(),
                5, 0, "first", 0.5, 0.25, "cifar10:0", 0, "shorter-side-crop", "fail", null, null);
        PrepareJob.run(s, spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        List<Integer> known = List.of(0, 6, 4, 9, 1, 7);
        assertEquals(6, m.classes());
        assertEquals(known.stream().map(CifarTestFiles.CIFAR10_NAMES::get).toList(), m.classNames());
        assertEquals(List.of("train", "validation", "test", Manifest.TEST_UNKNOWN), List.copyOf(m.splits().keySet()));
        assertEquals(5L, ((Number) m.transforms().get("seed")).longValue());
        assertTrue(m.transforms().keySet().containsAll(List.of("open_set", "long_tail", "validation")));
        // 200 train records, 20 per class; 6 known -> 120; n_max 20, rho 0.5: 20, 17, 15, 13, 11, 10
        assertEquals("[20, 17, 15, 13, 11, 10]",
                String.valueOf(((Map<?, ?>) m.transforms().get("long_tail")).get("per_class")));
        assertEquals(List.of(15L, 13L, 11L, 10L, 8L, 7L), m.splits().get("train").perClass());
        assertEquals(List.of(5L, 4L, 4L, 3L, 3L, 3L), m.splits().get("validation").perClass());
        assertEquals(20L, m.splits().get(Manifest.TEST_UNKNOWN).examples());
        assertEquals(20L, m.splits().get(Manifest.TEST_UNKNOWN).unknownExamples());

        java.util.Set<Long> trainIds = new java.util.HashSet<>();
        for (String split : m.splits().keySet()) {
            String source = split.startsWith("test") ? "test" : "train";
            List<Row> rows = rows(shards, split);
            assertEquals(m.splits().get(split).examples(), rows.size());
            for (Row row : rows) {
                int id = (int) row.getLong(0);
                int sourceLabel = label(source, id, 10);
                int expected = split.equals(Manifest.TEST_UNKNOWN) ? -1 : known.indexOf(sourceLabel);
                assertEquals(expected, row.getInt(1), split + " " + id);
                assertTrue(split.equals(Manifest.TEST_UNKNOWN) != known.contains(sourceLabel));
                assertArrayEquals(pixels(source, id), (byte[]) row.get(5));
                if (!split.startsWith("test")) {
                    assertTrue(trainIds.add((long) id), "train and validation are disjoint");
                }
            }
        }
    }

    @Test
    void cifarPlus10TakesUnknownsFromCifar100Test() throws IOException {
        Path c10 = CifarTestFiles.cifar10(work.resolve("c10"), PER_BATCH, TEST);
        Path c100 = CifarTestFiles.cifar100(work.resolve("c100"), 10, 300);
        Path out = work.resolve("plus");
        PrepareSettings s = new PrepareSettings("cifar10", c10.toUri(), out.toUri(), SHARD_MB, false, 10, List.of(),
                0, 0, "first", 1.0, 0.0, "cifar+10:0", 0, "shorter-side-crop", "fail", null, null, c100.toUri());
        PrepareJob.run(s, spark);
        ShardSet shards = shards(out);
        Manifest m = shards.manifest();
        List<Integer> known = List.of(4, 7, 9, 1);
        List<Integer> unknown = List.of(30, 25, 1, 9, 8, 0, 46, 52, 49, 71);
        assertEquals(4, m.classes());
        assertEquals(List.of("train", "test", Manifest.TEST_UNKNOWN), List.copyOf(m.splits().keySet()));
        for (Row row : rows(shards, "test")) {
            assertEquals(known.indexOf(label("test", (int) row.getLong(0), 10)), row.getInt(1));
        }
        List<Row> unknownRows = rows(shards, Manifest.TEST_UNKNOWN);
        long expected = java.util.stream.IntStream.range(0, 300).filter(i -> unknown.contains(label("test", i, 100)))
                .count();
        assertTrue(expected > 0);
        assertEquals(expected, unknownRows.size());
        assertEquals(ShardSchema.SCHEMA.simpleString(), spark.read().parquet(shards.parquetPaths(
                Manifest.TEST_UNKNOWN)).schema().asNullable().simpleString());
        for (Row row : unknownRows) {
            int id = (int) row.getLong(0);
            assertTrue(unknown.contains(label("test", id, 100)));
            assertEquals(-1, row.getInt(1));
            assertArrayEquals(CifarTestFiles.pixels100("test", id), (byte[]) row.get(5));
        }
        assertTrue(m.source().files().stream().anyMatch(f -> f.path().equals("test.bin")));
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
