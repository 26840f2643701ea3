package io.protospark.data.idx;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The four files of an MNIST-style data set in one directory: {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each raw
 * or with {@code .gz}. The {@code train-*} files form split {@code train}, the {@code t10k-*} files split
 * {@code test}.
 *
 * @param dir    the directory, fully qualified
 * @param splits train, then test
 */
public record IdxSource(URI dir, List<Split> splits) {
    private static final Logger LOG = LoggerFactory.getLogger(IdxSource.class);

    /** One split: the image file and the label file. */
    public record Split(String name, URI images, URI labels) {
    }

    public IdxSource {
        splits = List.copyOf(splits);
    }

    /** Finds the four files in {@code dir}; a missing one raises a {@link DataFormatException} naming it. */
    public static IdxSource find(URI dir, Configuration conf) {
        Path path = HadoopPaths.of(dir);
        try {
            FileSystem fs = path.getFileSystem(conf);
            path = fs.makeQualified(path);
            try {
                if (!fs.getFileStatus(path).isDirectory()) {
                    throw new DataFormatException("IDX input " + path + " is a file; expected a directory holding "
                            + expectedNames());
                }
            } catch (FileNotFoundException e) {
                throw new DataFormatException("IDX input directory not found: " + path + "; expected a directory "
                        + "holding " + expectedNames());
            }
            FileStatus[] listing = fs.listStatus(path);
            Set<String> names = new TreeSet<>();
            for (FileStatus s : listing) {
                if (s.isFile()) {
                    names.add(s.getPath().getName());
                }
            }
            List<String> missing = new ArrayList<>();
            Path trainImages = pick(path, names, "train-images-idx3-ubyte", missing);
            Path trainLabels = pick(path, names, "train-labels-idx1-ubyte", missing);
            Path testImages = pick(path, names, "t10k-images-idx3-ubyte", missing);
            Path testLabels = pick(path, names, "t10k-labels-idx1-ubyte", missing);
            if (!missing.isEmpty()) {
                throw new DataFormatException("IDX input directory " + path + " lacks " + String.join(", ", missing)
                        + " (each raw or with .gz); it holds " + names);
            }
            return new IdxSource(path.toUri(), List.of(
                    new Split("train", trainImages.toUri(), trainLabels.toUri()),
                    new Split("test", testImages.toUri(), testLabels.toUri())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list IDX input directory " + path + ": " + e, e);
        }
    }

    /** The raw file if present, else the {@code .gz} one. */
    private static Path pick(Path dir, Set<String> names, String base, List<String> missing) {
        boolean raw = names.contains(base);
        boolean gz = names.contains(base + ".gz");
        if (raw && gz) {
            LOG.info("{} holds both {} and {}.gz; reading {}", dir, base, base, base);
        }
        if (!raw && !gz) {
            missing.add(base);
            return null;
        }
        return new Path(dir, raw ? base : base + ".gz");
    }

    private static String expectedNames() {
        return "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                + "t10k-labels-idx1-ubyte (each raw or with .gz)";
    }
}
