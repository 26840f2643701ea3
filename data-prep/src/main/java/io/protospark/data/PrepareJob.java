package io.protospark.data;

import io.protospark.config.SettingsException;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.data.shard.Checksums;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.source.RowSource;
import io.protospark.data.transform.Transforms;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * {@code protospark prepare}: reads a raw data set once (IDX, CIFAR-10/100 binary), applies the seeded
 * {@link Transforms} (class subset or open-set split, long tail, validation split) and publishes the result as
 * Parquet shards ({@link ShardSchema}) with a {@link Manifest}.
 *
 * <p>All headers and file sizes are checked before any Spark work; in-memory formats are then read completely
 * on the driver (validated byte for byte), broadcast, and written by one task per shard, so shard
 * {@code part-00000.parquet} holds the first selected examples in source order and {@code id} is the index in
 * the split's source files. Every output split ({@code train}, {@code validation}, {@code test},
 * {@code test-unknown}) uses the same columns, so training reads any of them with the same code. Publication is
 * atomic where the file system's rename is (HDFS, local; not S3): everything is written into a sibling temp
 * directory {@code <parent>/.<name>._tmp-<uuid>}, checksummed, the manifest written last, then the directory is
 * renamed to {@code output}. A failed run deletes its temp directory and leaves {@code output} as it was.
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

    private static final Pattern SPARK_PART = Pattern.compile("part-(\\d+)-.*\\.parquet");

    private PrepareJob() {
    }

    /** Prepares {@code settings.input()} into {@code settings.output()}; see the class description. */
    public static PrepareResult run(PrepareSettings settings, SparkSession spark) {
        long start = System.nanoTime();
        LOG.info("prepare: {}", settings);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs;
        Path output;
        try {
            output = HadoopPaths.of(settings.output());
            fs = output.getFileSystem(conf);
            output = fs.makeQualified(output);
            refuseExisting(fs, output, settings.overwrite());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check output " + settings.output() + ": " + e, e);
        }

        Sources.Loaded source = Sources.load(settings, conf);
        Transforms.Plan plan = Transforms.plan(source.labels(), source.classes(), source.classNames(),
                settings.transforms(), PrepareSettings.OPEN_SET, PrepareSettings.SUBSET_CLASSES,
                PrepareSettings.LONG_TAIL_RATIO);
        if (Transforms.isCifarPlus(settings.openSet())) {
            source = Sources.addCifarPlusUnknowns(settings, conf, source, plan);
        }
        for (Map.Entry<String, Transforms.Selection> e : plan.splits().entrySet()) {
            if (e.getValue().size() == 0) {
                throw new DataFormatException("split '" + e.getKey() + "' of " + source.dir() + " would be empty "
                        + "after the transforms " + plan.record());
            }
        }

        Path temp = new Path(output.getParent(), "." + output.getName() + "._tmp-" + UUID.randomUUID());
        boolean published = false;
        try {
            Map<String, Manifest.Split> splits = new LinkedHashMap<>();
            List<Manifest.ShardFile> files = new ArrayList<>();
            for (Map.Entry<String, Transforms.Selection> e : plan.splits().entrySet()) {
                String name = e.getKey();
                Transforms.Selection sel = e.getValue();
                Written written = writeSplit(spark, fs, source.rows().get(sel.source()), sel, name, temp,
                        settings.shardSizeBytes(), settings.rowGroupBytes());
                long[] perClass = new long[plan.classes()];
                long unknown = 0;
                for (int label : written.labels()) {
                    if (label == Manifest.UNKNOWN_LABEL) {
                        unknown++;
                    } else {
                        perClass[label]++;
                    }
                }
                splits.put(name, new Manifest.Split(written.labels().length,
                        Arrays.stream(perClass).boxed().toList(), unknown, written.skipped()));
                files.addAll(written.files());
                LOG.info("split {}: {} examples in {} shards, per class {}{}", name, written.labels().length,
                        written.files().size(), Arrays.toString(perClass),
                        unknown > 0 ? ", " + unknown + " of unknown classes" : "");
            }
            List<Manifest.SourceFile> sourceFiles = new ArrayList<>(source.listings());
            for (URI file : source.files()) {
                Path p = HadoopPaths.of(file);
                String relative = source.dir().relativize(file).getPath();
                relative = relative.startsWith("/") ? p.getName() : relative;
                sourceFiles.add(new Manifest.SourceFile(relative.isEmpty() ? p.getName() : relative,
                        Checksums.sha256(fs(p, conf), p)));
            }
            Manifest manifest = new Manifest(Manifest.VERSION, settings.format(), plan.classes(),
                    plan.classNames(), source.image(), splits, files,
                    new Manifest.Source(source.dir().toString(), sourceFiles),
                    Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(), source.coarseNames(), plan.record(),
                    source.schema(), settings.encoded() ? Manifest.ENCODED : null);
            manifest.check("manifest for " + output);
            writeManifest(fs, new Path(temp, Manifest.FILE_NAME), manifest);
            List<String> keep = new ArrayList<>(splits.keySet());
            keep.add(Manifest.FILE_NAME);
            removeAllBut(fs, temp, keep);

            publish(fs, temp, output, settings.overwrite());
            published = true;
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Long> examples = new LinkedHashMap<>();
            splits.forEach((name, s) -> examples.put(name, s.examples()));
            LOG.info("prepared {} in {} s: {}, {} shards", output, String.format("%.1f", seconds), examples,
                    files.size());
            return new PrepareResult(output.toUri(), examples, files, seconds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write prepared data set " + output + ": " + e, e);
        } finally {
            if (!published) {
                deleteQuietly(fs, temp);
            }
        }
    }

    private static void refuseExisting(FileSystem fs, Path output, boolean overwrite) throws IOException {
        if (!overwrite && fs.exists(output)) {
            throw new SettingsException(PrepareSettings.OUTPUT, "names a directory that already exists",
                    output.toString(), "choose a new --output, or set prepare.overwrite=true to replace it");
        }
    }

    /** What one split's write produced: its shards, the label of every written row, the skipped ids. */
    record Written(List<Manifest.ShardFile> files, int[] labels, List<Long> skipped) {
    }

    /** What the tasks of one split need: the row maker and the selected examples with their output labels. */
    record SplitJob(RowSource rows, int[] index, int[] label) implements Serializable {
    }

    /**
     * Writes one split as {@code <temp>/<split>/part-NNNNN.parquet}, shard i holding a contiguous range of the
     * selection in source order, and returns its shards, checksummed. When the row maker may skip examples, the
     * written ids and labels are read back (one cheap column scan) so the counts are those on disk.
     *
     * <p>Each shard is written in row groups of about {@code rowGroupBytes} (Parquet's {@code parquet.block.size}),
     * so that training can cut a split of few shards into as many partitions as it has workers between row groups
     * ({@code ShardRows.plan}). Parquet's padding of row groups to the file system's block boundaries is off: it is
     * meant for row groups as large as an HDFS block, and with small ones it would fill up to 8 MiB of every block
     * with zeros.
     */
    private static Written writeSplit(SparkSession spark, FileSystem fs, RowSource source,
                                      Transforms.Selection sel, String split, Path temp, long shardBytes,
                                      long rowGroupBytes) throws IOException {
        int n = sel.size();
        long totalBytes = n * source.bytesPerRow();
        int shards = (int) Math.max(1, Math.min(n, (totalBytes + shardBytes - 1) / shardBytes));
        List<Range> ranges = new ArrayList<>(shards);
        for (int i = 0; i < shards; i++) {
            ranges.add(new Range((int) ((long) i * n / shards), (int) ((long) (i + 1) * n / shards)));
        }
        Path dir = new Path(temp, split);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SplitJob> broadcast = jsc.broadcast(new SplitJob(source, sel.index(), sel.label()));
        try {
            JavaRDD<Row> rows = jsc.parallelize(ranges, shards).flatMap(r -> rows(broadcast.value(), r));
            spark.createDataFrame(rows, source.schema()).write()
                    .mode(SaveMode.ErrorIfExists)
                    .option("maxRecordsPerFile", 0) // exactly one file per partition, whatever the session says
                    .option("parquet.block.size", rowGroupBytes)
                    .option("parquet.writer.max-padding", 0)
                    .parquet(dir.toString());
        } catch (Exception e) { // SparkException is checked but undeclared (Scala)
            throw unwrap(e);
        } finally {
            broadcast.destroy();
        }

        // Spark names files part-<partition>-<uuid>-c000.<codec>.parquet; partition i holds ranges.get(i).
        Map<Integer, Path> parts = new TreeMap<>();
        for (FileStatus status : fs.listStatus(dir)) {
            Matcher m = SPARK_PART.matcher(status.getPath().getName());
            if (m.matches() && parts.put(Integer.parseInt(m.group(1)), status.getPath()) != null) {
                throw new IllegalStateException("Spark wrote two files for partition " + m.group(1) + " in " + dir);
            }
        }
        if (!parts.keySet().equals(new TreeSet<>(IntStream.range(0, shards).boxed().toList()))) {
            throw new IllegalStateException("expected one Parquet file per partition 0.." + (shards - 1) + " in "
                    + dir + ", found partitions " + parts.keySet());
        }
        List<Manifest.ShardFile> result = new ArrayList<>(shards);
        int[] labels = sel.label();
        List<Long> skipped = List.of();
        Map<Integer, Long> written = null;
        if (source.maySkip()) {
            // the rows on disk decide: id -> written, per partition counts
            List<Row> back = spark.read().parquet(dir.toString())
                    .select(functions.col(ShardSchema.ID), functions.col(ShardSchema.LABEL)).collectAsList();
            java.util.Set<Long> present = new java.util.HashSet<>();
            int[] writtenLabels = new int[back.size()];
            int k = 0;
            for (Row r : back) {
                present.add(r.getLong(0));
                writtenLabels[k++] = r.getInt(1);
            }
            labels = writtenLabels;
            List<Long> missing = new ArrayList<>();
            written = new TreeMap<>();
            for (int p = 0; p < ranges.size(); p++) {
                long count = 0;
                for (int i = ranges.get(p).start(); i < ranges.get(p).end(); i++) {
                    long id = source.id(sel.index()[i]);
                    if (present.contains(id)) {
                        count++;
                    } else {
                        missing.add(id);
                    }
                }
                written.put(p, count);
            }
            skipped = missing;
            if (labels.length == 0) {
                throw new DataFormatException("split '" + split + "': every one of its " + n + " images was "
                        + "skipped as unreadable");
            }
            if (!missing.isEmpty()) {
                LOG.warn("split {}: skipped {} unreadable images, ids {}", split, missing.size(),
                        missing.size() > 20 ? missing.subList(0, 20) + "..." : missing);
            }
        }
        for (Map.Entry<Integer, Path> part : parts.entrySet()) {
            String name = String.format("part-%05d.parquet", part.getKey());
            Path target = new Path(dir, name);
            if (!fs.rename(part.getValue(), target)) {
                throw new IOException("cannot rename " + part.getValue() + " to " + target);
            }
            Range range = ranges.get(part.getKey());
            long examples = written == null ? range.end() - range.start() : written.get(part.getKey());
            result.add(new Manifest.ShardFile(split + "/" + name, split, examples, Checksums.sha256(fs, target)));
        }
        removeAllBut(fs, dir, result.stream().map(f -> new Path(f.path()).getName()).toList());
        return new Written(result, labels, skipped);
    }

    /** A data problem found on an executor, as the driver-side exception that names the file. */
    private static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataFormatException d) {
                return new DataFormatException(d.getMessage(), e);
            }
        }
        java.util.regex.Matcher m = Pattern.compile("DataFormatException: ([^\\n]*)").matcher(
                String.valueOf(e.getMessage()));
        if (m.find()) {
            return new DataFormatException(m.group(1), e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException("Spark job failed: " + e, e);
    }

    /** The rows of one shard, made lazily on the executor; skipped examples are left out. */
    private static Iterator<Row> rows(SplitJob job, Range range) {
        return IntStream.range(range.start(), range.end())
                .mapToObj(i -> job.rows().row(job.index()[i], job.label()[i]))
                .filter(java.util.Objects::nonNull)
                .iterator();
    }

    /** Records {@code [start, end)} of a selection, the rows of one shard. */
    private record Range(int start, int end) implements Serializable {
    }

    private static void writeManifest(FileSystem fs, Path file, Manifest manifest) throws IOException {
        try (FSDataOutputStream out = fs.create(file, false)) {
            out.write(manifest.toJson().getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Deletes everything in {@code dir} not named in {@code keep}: Spark's {@code _SUCCESS} and the {@code .crc}
     * side files of the local file system, which the checksummed listing would hide.
     */
    private static void removeAllBut(FileSystem fs, Path dir, Collection<String> keep) throws IOException {
        FileSystem raw = fs instanceof ChecksumFileSystem checksummed ? checksummed.getRawFileSystem() : fs;
        for (FileStatus status : raw.listStatus(dir)) {
            if (!keep.contains(status.getPath().getName()) && !raw.delete(status.getPath(), true)) {
                throw new IOException("cannot delete " + status.getPath());
            }
        }
    }

    /** Renames {@code temp} to {@code output}; an existing output (overwrite only) is moved aside first. */
    private static void publish(FileSystem fs, Path temp, Path output, boolean overwrite) throws IOException {
        Path old = null;
        if (fs.exists(output)) {
            refuseExisting(fs, output, overwrite);
            old = new Path(output.getParent(), "." + output.getName() + "._old-" + UUID.randomUUID());
            if (!fs.rename(output, old)) {
                throw new IOException("cannot move existing " + output + " aside to " + old);
            }
        }
        if (!fs.rename(temp, output)) {
            if (old != null && !fs.rename(old, output)) {
                LOG.error("could not restore the previous {} from {}", output, old);
            }
            throw new IOException("cannot rename " + temp + " to " + output);
        }
        if (old != null) {
            LOG.info("replaced previous {}", output);
            deleteQuietly(fs, old);
        }
    }

    private static void deleteQuietly(FileSystem fs, Path dir) {
        try {
            if (fs.exists(dir) && !fs.delete(dir, true)) {
                LOG.warn("could not delete {}; remove it by hand", dir);
            }
        } catch (IOException e) {
            LOG.warn("could not delete {} ({}); remove it by hand", dir, e.toString());
        }
    }

    private static FileSystem fs(Path path, Configuration conf) throws IOException {
        return path.getFileSystem(conf);
    }
}
