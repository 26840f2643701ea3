package io.protospark.data;

import io.protospark.config.SettingsException;
import io.protospark.data.idx.IdxData;
import io.protospark.data.idx.IdxReader;
import io.protospark.data.idx.IdxSource;
import io.protospark.data.shard.Checksums;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSchema;
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
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
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
 * {@code protospark prepare --format idx}: reads an MNIST-style IDX directory once and publishes it as Parquet
 * shards ({@link ShardSchema#SCHEMA}) with a {@link Manifest}.
 *
 * <p>All headers are checked before any Spark work; each split is then read completely on the driver (validated
 * byte for byte), broadcast, and written by one task per shard, so shard {@code part-00000.parquet} holds the
 * first examples in source order and {@code id} is the index in the source file. Publication is atomic where the
 * file system's rename is (HDFS, local; not S3): everything is written into a sibling temp directory
 * {@code <parent>/.<name>._tmp-<uuid>}, checksummed, the manifest written last, then the directory is renamed to
 * {@code output}. A failed run deletes its temp directory and leaves {@code output} as it was.
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

    /** Approximate per-row overhead besides the pixels: id, four ints and the binary length. */
    private static final int ROW_OVERHEAD_BYTES = 8 + 4 * 4 + 4;
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

        // Validate every header before any Spark work.
        IdxSource source = IdxSource.find(settings.input(), conf);
        IdxReader.IdxHeader shape = null;
        for (IdxSource.Split split : source.splits()) {
            IdxReader.IdxHeader header = IdxReader.readPairHeaders(split.images(), split.labels(), conf);
            if (header.count() == 0) {
                throw new DataFormatException(HadoopPaths.of(split.images()) + ": declares 0 images; split '"
                        + split.name() + "' would be empty");
            }
            if (shape != null && !header.dimensions().subList(1, 3).equals(shape.dimensions().subList(1, 3))) {
                throw new DataFormatException("image sizes disagree: " + HadoopPaths.of(shape.file()) + " holds "
                        + shape.dimensions().get(1) + "x" + shape.dimensions().get(2) + " images but "
                        + HadoopPaths.of(header.file()) + " holds " + header.dimensions().get(1) + "x"
                        + header.dimensions().get(2));
            }
            shape = header;
        }

        Path temp = new Path(output.getParent(), "." + output.getName() + "._tmp-" + UUID.randomUUID());
        boolean published = false;
        try {
            Map<String, Manifest.Split> splits = new LinkedHashMap<>();
            List<Manifest.ShardFile> files = new ArrayList<>();
            List<Manifest.SourceFile> sourceFiles = new ArrayList<>();
            Manifest.Image image = null;
            for (IdxSource.Split split : source.splits()) {
                IdxData data = IdxReader.read(split.images(), split.labels(), settings.classes(), conf);
                image = new Manifest.Image(data.height(), data.width(), data.channels());
                List<Manifest.ShardFile> written = writeSplit(spark, fs, data, split.name(), temp,
                        settings.shardSizeBytes());
                long[] perClass = data.perClass(settings.classes());
                splits.put(split.name(), new Manifest.Split(data.count(),
                        Arrays.stream(perClass).boxed().toList()));
                files.addAll(written);
                for (URI file : List.of(split.images(), split.labels())) {
                    Path p = HadoopPaths.of(file);
                    sourceFiles.add(new Manifest.SourceFile(p.getName(), Checksums.sha256(fs(p, conf), p)));
                }
                LOG.info("split {}: {} examples in {} shards, per class {}", split.name(), data.count(),
                        written.size(), Arrays.toString(perClass));
            }
            Manifest manifest = new Manifest(Manifest.VERSION, settings.format(), settings.classes(),
                    settings.classNames(), image, splits, files,
                    new Manifest.Source(source.dir().toString(), sourceFiles),
                    Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
            manifest.check("manifest for " + output);
            writeManifest(fs, new Path(temp, Manifest.FILE_NAME), manifest);
            removeAllBut(fs, temp, List.of(Manifest.FILE_NAME, Manifest.TRAIN, Manifest.TEST));

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

    /** Writes one split as {@code <temp>/<split>/part-NNNNN.parquet} and returns its shards, checksummed. */
    private static List<Manifest.ShardFile> writeSplit(SparkSession spark, FileSystem fs, IdxData data,
                                                       String split, Path temp, long shardBytes) throws IOException {
        int n = data.count();
        long totalBytes = (long) n * (data.imageBytes() + ROW_OVERHEAD_BYTES);
        int shards = (int) Math.max(1, Math.min(n, (totalBytes + shardBytes - 1) / shardBytes));
        List<Range> ranges = new ArrayList<>(shards);
        for (int i = 0; i < shards; i++) {
            ranges.add(new Range((int) ((long) i * n / shards), (int) ((long) (i + 1) * n / shards)));
        }
        Path dir = new Path(temp, split);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<IdxData> broadcast = jsc.broadcast(data);
        try {
            JavaRDD<Row> rows = jsc.parallelize(ranges, shards).flatMap(r -> rows(broadcast.value(), r));
            spark.createDataFrame(rows, ShardSchema.SCHEMA).write()
                    .mode(SaveMode.ErrorIfExists)
                    .option("maxRecordsPerFile", 0) // exactly one file per partition, whatever the session says
                    .parquet(dir.toString());
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
        for (Map.Entry<Integer, Path> part : parts.entrySet()) {
            String name = String.format("part-%05d.parquet", part.getKey());
            Path target = new Path(dir, name);
            if (!fs.rename(part.getValue(), target)) {
                throw new IOException("cannot rename " + part.getValue() + " to " + target);
            }
            Range range = ranges.get(part.getKey());
            result.add(new Manifest.ShardFile(split + "/" + name, split, range.end() - range.start(),
                    Checksums.sha256(fs, target)));
        }
        removeAllBut(fs, dir, result.stream().map(f -> new Path(f.path()).getName()).toList());
        return result;
    }

    /** The rows of one shard, made lazily from the broadcast split. */
    private static Iterator<Row> rows(IdxData data, Range range) {
        return IntStream.range(range.start(), range.end())
                .mapToObj(i -> RowFactory.create((long) i, data.label(i), data.height(), data.width(),
                        data.channels(), data.image(i)))
                .iterator();
    }

    /** Records {@code [start, end)} of a split, the rows of one shard. */
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
