package io.protospark.data.shard;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A prepared data set opened for training: its {@link Manifest} and, per split, the URIs of its Parquet shards
 * (schema {@link ShardSchema#SCHEMA}). {@link #open} checks every shard's existence and SHA-256 against the
 * manifest before returning, so a training job never starts on incomplete or altered data.
 */
public final class ShardSet {
    private static final Logger LOG = LoggerFactory.getLogger(ShardSet.class);

    private final URI root;
    private final Manifest manifest;
    private final Map<String, List<URI>> files;

    private ShardSet(URI root, Manifest manifest, Map<String, List<URI>> files) {
        this.root = root;
        this.manifest = manifest;
        this.files = files;
    }

    /**
     * Reads {@code <dir>/manifest.json} and verifies that every listed shard exists and has the listed SHA-256.
     *
     * @throws DataFormatException if the manifest is missing or inconsistent, a shard is missing, or a shard's
     *                             checksum differs (the message names the file, the expected and the found hash)
     */
    public static ShardSet open(URI dir, Configuration hadoopConf) {
        long start = System.nanoTime();
        Path rootPath = HadoopPaths.of(dir);
        FileSystem fs;
        try {
            fs = rootPath.getFileSystem(hadoopConf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open file system of " + dir + ": " + e, e);
        }
        rootPath = fs.makeQualified(rootPath);
        Manifest manifest = Manifest.read(rootPath.toUri(), hadoopConf);
        Map<String, List<URI>> files = new LinkedHashMap<>();
        for (String split : manifest.splits().keySet()) {
            List<URI> uris = new ArrayList<>();
            for (Manifest.ShardFile f : manifest.files(split)) {
                Path p = new Path(rootPath, f.path());
                try {
                    if (!fs.getFileStatus(p).isFile()) {
                        throw new DataFormatException("shard " + p + " listed in " + Manifest.FILE_NAME
                                + " is not a file");
                    }
                } catch (FileNotFoundException e) {
                    throw new DataFormatException("shard " + p + " is listed in " + new Path(rootPath,
                            Manifest.FILE_NAME) + " but does not exist; the data set is incomplete, re-run "
                            + "`protospark prepare`");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot check shard " + p + ": " + e, e);
                }
                String found = Checksums.sha256(fs, p);
                if (!found.equals(f.sha256())) {
                    throw new DataFormatException("shard " + p + " does not match " + Manifest.FILE_NAME
                            + ": expected SHA-256 " + f.sha256() + ", found " + found + "; the file was changed "
                            + "after preparation, re-run `protospark prepare`");
                }
                uris.add(p.toUri());
            }
            files.put(split, List.copyOf(uris));
        }
        LOG.info("opened {}: {} classes, image {}x{}x{}, {} shards verified in {} ms", rootPath, manifest.classes(),
                manifest.image().channels(), manifest.image().height(), manifest.image().width(),
                manifest.files().size(), (System.nanoTime() - start) / 1_000_000);
        return new ShardSet(rootPath.toUri(), manifest, Collections.unmodifiableMap(files));
    }

    /** The data set directory, fully qualified. */
    public URI root() {
        return root;
    }

    public Manifest manifest() {
        return manifest;
    }

    /** The splits, in manifest order ({@code train}, {@code test}). */
    public Set<String> splits() {
        return files.keySet();
    }

    /** The verified shards of {@code split}, in order. */
    public List<URI> files(String split) {
        List<URI> list = files.get(split);
        if (list == null) {
            throw new IllegalArgumentException("data set " + root + " has no split '" + split + "'; it has "
                    + files.keySet());
        }
        return list;
    }

    /** The shards of {@code split} as strings, ready for {@code spark.read().parquet(...)}. */
    public String[] parquetPaths(String split) {
        // Hadoop's Path renders the decoded form Spark expects ("data with space", not "data%20with%20space")
        return files(split).stream().map(u -> new Path(u).toString()).toArray(String[]::new);
    }

    /** Number of examples in {@code split}. */
    public long examples(String split) {
        files(split);
        return manifest.splits().get(split).examples();
    }

    public int classes() {
        return manifest.classes();
    }

    public List<String> classNames() {
        return manifest.classNames();
    }

    public int height() {
        return manifest.image().height();
    }

    public int width() {
        return manifest.image().width();
    }

    public int channels() {
        return manifest.image().channels();
    }
}
