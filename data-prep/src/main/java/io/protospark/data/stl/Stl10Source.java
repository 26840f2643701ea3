package io.protospark.data.stl;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks STL-10's binary release (Coates, Lee and Ng, "An Analysis of Single-Layer Networks in Unsupervised
 * Feature Learning", 2011; the {@code stl10_binary/} folder) on the driver, through the Hadoop FileSystem API:
 * {@code train_X.bin} + {@code train_y.bin} form split {@code train}, {@code test_X.bin} + {@code test_y.bin}
 * split {@code test}; {@code unlabeled_X.bin} is not read. An {@code *_X.bin} file holds N images of 3×96×96
 * uint8 bytes, each channel a 96×96 plane in column-major order (MATLAB's; the executors transpose it to the
 * shards' CHW), so its size must be a positive multiple of 27 648; the matching {@code *_y.bin} holds N label
 * bytes 1..10, which become 0..9 (label i − 1 is line i of {@code class_names.txt}). Ids are indices within a file.
 */
public final class Stl10Source {
    public static final int SIDE = 96;
    public static final int CHANNELS = 3;
    public static final int IMAGE_BYTES = SIDE * SIDE * CHANNELS;
    public static final int CLASSES = 10;
    public static final String NAMES = "class_names.txt";

    /**
     * What the driver knows.
     *
     * @param dir        the input folder, fully qualified
     * @param classNames the 10 names of {@code class_names.txt}
     * @param images     per split ({@code train}, {@code test}), its {@code *_X.bin}
     * @param labels     per split, the labels (0..9)
     * @param files      every file checked, to checksum
     */
    public record Listing(URI dir, List<String> classNames, Map<String, URI> images, Map<String, int[]> labels,
                          List<URI> files) {
    }

    private Stl10Source() {
    }

    /** Checks and lists the {@code stl10_binary} folder {@code dir}; see the class description. */
    public static Listing read(URI dir, Configuration conf) {
        Path root = HadoopPaths.of(dir);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            Map<String, Long> sizes = new LinkedHashMap<>();
            for (FileStatus s : HadoopPaths.listInput(fs, root, "stl10")) {
                sizes.put(s.getPath().getName(), s.getLen());
            }
            List<String> expected = List.of("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", NAMES);
            List<String> missing = expected.stream().filter(n -> !sizes.containsKey(n)).toList();
            if (!missing.isEmpty()) {
                throw new DataFormatException("stl10 input directory " + root + " lacks " + missing + "; it holds "
                        + new TreeSet<>(sizes.keySet()) + " (give the extracted stl10_binary folder)");
            }
            // every size first, before reading any label
            for (String split : List.of("train", "test")) {
                Path x = new Path(root, split + "_X.bin");
                long size = sizes.get(x.getName());
                if (size % IMAGE_BYTES != 0 || size == 0) {
                    throw new DataFormatException(x + ": size " + size + " bytes is not a whole, positive number of "
                            + IMAGE_BYTES + "-byte (3x96x96) STL-10 images (" + size / IMAGE_BYTES + " images and "
                            + size % IMAGE_BYTES + " bytes left over); the file is truncated or not STL-10 binary");
                }
                Path y = new Path(root, split + "_y.bin");
                if (sizes.get(y.getName()) != size / IMAGE_BYTES) {
                    throw new DataFormatException(y + ": holds " + sizes.get(y.getName()) + " labels (one byte each) "
                            + "but " + x + " holds " + size / IMAGE_BYTES + " images");
                }
            }
            List<String> names = names(fs, new Path(root, NAMES));
            Map<String, URI> images = new LinkedHashMap<>();
            Map<String, int[]> labels = new LinkedHashMap<>();
            List<URI> files = new ArrayList<>();
            for (String split : List.of("train", "test")) {
                Path x = new Path(root, split + "_X.bin");
                Path y = new Path(root, split + "_y.bin");
                images.put(split, x.toUri());
                labels.put(split, labels(fs, y));
                files.add(x.toUri());
                files.add(y.toUri());
            }
            files.add(new Path(root, NAMES).toUri());
            return new Listing(root.toUri(), names, images, labels, files);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stl10 input " + root + ": " + e, e);
        }
    }

    private static int[] labels(FileSystem fs, Path y) throws IOException {
        byte[] bytes;
        try (InputStream in = fs.open(y)) {
            bytes = in.readAllBytes();
        }
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            int label = bytes[i] & 0xff;
            if (label < 1 || label > CLASSES) {
                throw new DataFormatException(y + ": label " + i + " (byte offset " + i + ") is " + label
                        + ", outside 1.." + CLASSES);
            }
            labels[i] = label - 1;
        }
        return labels;
    }

    /** Non-blank lines, trimmed; there must be exactly 10, all different. */
    private static List<String> names(FileSystem fs, Path file) throws IOException {
        String text;
        try (InputStream in = fs.open(file)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> names = Arrays.stream(text.split("\r?\n")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
        if (names.size() != CLASSES) {
            throw new DataFormatException(file + ": holds " + names.size() + " class names, expected " + CLASSES
                    + " (one per line, line i names label i - 1)");
        }
        if (new TreeSet<>(names).size() != names.size()) {
            throw new DataFormatException(file + ": repeats a class name: " + names);
        }
        return names;
    }
}
