package io.protospark.data.svhn;

import io.protospark.data.image.MatFile;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.data.npy.NpyRows;
import io.protospark.data.source.ImageArrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Reads SVHN's cropped digits (Netzer et al., "Reading Digits in Natural Images with Unsupervised Feature
 * Learning", 2011; format 2 of the SVHN page) from a folder holding {@code train_32x32.mat} (split
 * {@code train}), {@code test_32x32.mat} (split {@code test}) and optionally {@code extra_32x32.mat} (split
 * {@code extra}, written when the file is present), through the Hadoop FileSystem API.
 *
 * <p>Each file is a Level 5 MAT-file (compressed or not, as MATLAB and {@code scipy.io.savemat} write them) with
 * {@code X}, a 32×32×3×N array (MATLAB's column-major order: within image n, pixel (row y, column x, channel c)
 * is value {@code y + 32 x + 1024 c}) written in the shards' CHW order, and {@code y}, N×1 (or 1×N) labels 1..10,
 * where 10 stands for digit 0: label = digit, so 10 becomes 0. Both may have any numeric class (the originals
 * hold uint8) as long as X's values are integers in [0, 255] and y's in 1..10. Ids are indices within a file.
 * The files are streamed, never held whole; the pixels of a split are held on the driver like CIFAR's
 * ({@code extra}'s 531 131 images take 1.6 GB).
 */
public final class SvhnReader {
    public static final int SIDE = 32;
    public static final int CHANNELS = 3;
    public static final int IMAGE_BYTES = SIDE * SIDE * CHANNELS;
    /** Class names: label i is digit i. */
    public static final List<String> CLASS_NAMES = IntStream.range(0, 10).mapToObj(Integer::toString).toList();
    /** Split → file; {@code extra} is optional. */
    public static final Map<String, String> FILES = Map.of("train", "train_32x32.mat", "test", "test_32x32.mat",
            "extra", "extra_32x32.mat");

    /**
     * What was read.
     *
     * @param dir    the input folder, fully qualified
     * @param splits {@code train}, {@code test}, then {@code extra} when present
     * @param files  every file read, in that order
     */
    public record SvhnData(URI dir, Map<String, ImageArrays> splits, List<URI> files) {
    }

    private SvhnReader() {
    }

    /** Reads the SVHN files of {@code dir}; see the class description. */
    public static SvhnData read(URI dir, Configuration conf) {
        Path root = HadoopPaths.of(dir);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            TreeSet<String> present = new TreeSet<>();
            for (FileStatus s : HadoopPaths.listInput(fs, root, "svhn")) {
                present.add(s.getPath().getName());
            }
            List<String> missing = List.of(FILES.get("train"), FILES.get("test")).stream()
                    .filter(n -> !present.contains(n)).toList();
            if (!missing.isEmpty()) {
                throw new DataFormatException("svhn input directory " + root + " lacks " + missing + "; it holds "
                        + present + " (give the folder of the cropped-digit files train_32x32.mat and test_32x32.mat"
                        + ", optionally extra_32x32.mat)");
            }
            Map<String, ImageArrays> splits = new LinkedHashMap<>();
            List<URI> files = new ArrayList<>();
            for (String split : List.of("train", "test", "extra")) {
                String name = FILES.get(split);
                if (!present.contains(name)) {
                    continue;
                }
                Path p = new Path(root, name);
                splits.put(split, readFile(fs, p));
                files.add(p.toUri());
            }
            return new SvhnData(root.toUri(), splits, files);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read svhn input " + root + ": " + e, e);
        }
    }

    /** One {@code *_32x32.mat}: its images (CHW) and labels (10 → 0). */
    static ImageArrays readFile(FileSystem fs, Path p) throws IOException {
        String origin = p.toString();
        byte[][] pixels = new byte[1][];
        int[][] labels = new int[1][];
        try (InputStream in = fs.open(p, 1 << 20)) {
            MatFile.stream(in, origin, v -> {
                if (v.name().equals("X")) {
                    if (pixels[0] != null) {
                        throw new DataFormatException(origin + ": holds two variables 'X'");
                    }
                    pixels[0] = images(origin, v);
                } else if (v.name().equals("y")) {
                    if (labels[0] != null) {
                        throw new DataFormatException(origin + ": holds two variables 'y'");
                    }
                    labels[0] = labels(origin, v);
                }
            });
        }
        if (pixels[0] == null || labels[0] == null) {
            throw new DataFormatException(origin + ": lacks variable " + (pixels[0] == null ? "'X'" : "'y'")
                    + " (expected X, 32x32x3xN uint8 images, and y, Nx1 labels 1..10)");
        }
        int n = pixels[0].length / IMAGE_BYTES;
        if (labels[0].length != n) {
            throw new DataFormatException(origin + ": X holds " + n + " images but y holds " + labels[0].length
                    + " labels");
        }
        return new ImageArrays(SIDE, SIDE, CHANNELS, pixels[0], labels[0], null);
    }

    private static void requireNumeric(String origin, MatFile.Variable v, String expected) {
        if (!v.numeric() || v.complex()) {
            throw new DataFormatException(origin + ": '" + v.name() + "' is a " + (v.complex() ? "complex " : "")
                    + v.className() + " array; expected " + expected);
        }
    }

    private static byte[] images(String origin, MatFile.Variable v) throws IOException {
        String expected = "a real numeric (uint8) 32x32x3xN array";
        requireNumeric(origin, v, expected);
        int[] d = v.dimensions();
        boolean shape = (d.length == 4 || d.length == 3) && d[0] == SIDE && d[1] == SIDE && d[2] == CHANNELS;
        if (!shape) {
            throw new DataFormatException(origin + ": 'X' has dimensions " + Arrays.toString(d) + "; expected "
                    + expected);
        }
        long n = d.length == 4 ? d[3] : 1;
        if (n == 0) {
            throw new DataFormatException(origin + ": 'X' holds no images (dimensions " + Arrays.toString(d) + ")");
        }
        if (n * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(origin + ": 'X' holds " + n + " images, more than one in-memory split "
                    + "can hold");
        }
        byte[] pixels = new byte[(int) n * IMAGE_BYTES];
        byte[] image = new byte[IMAGE_BYTES];
        for (int i = 0; i < n; i++) {
            v.readUint8(image, 0, IMAGE_BYTES);
            NpyRows.cwhToChw(image, 0, SIDE, SIDE, CHANNELS, pixels, i * IMAGE_BYTES);
        }
        return pixels;
    }

    private static int[] labels(String origin, MatFile.Variable v) throws IOException {
        String expected = "a real numeric Nx1 array of labels 1..10";
        requireNumeric(origin, v, expected);
        int[] d = v.dimensions();
        if (d.length != 2 || (d[0] != 1 && d[1] != 1)) {
            throw new DataFormatException(origin + ": 'y' has dimensions " + Arrays.toString(d) + "; expected "
                    + expected);
        }
        int n = (int) v.count();
        double[] values = v.readDoubles(n);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double y = values[i];
            if (y != Math.rint(y) || y < 1 || y > 10) {
                throw new DataFormatException(origin + ": y(" + (i + 1) + ") (example " + i + ") is " + y
                        + ", outside the labels 1..10 (10 = digit 0)");
            }
            labels[i] = (int) y % 10;
        }
        return labels;
    }
}
