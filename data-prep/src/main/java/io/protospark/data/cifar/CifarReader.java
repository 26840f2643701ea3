package io.protospark.data.cifar;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.data.source.ImageArrays;
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
 * Reads the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky, "Learning Multiple Layers of Features from
 * Tiny Images", 2009; the layout of the CIFAR page) from the extracted folder, through the Hadoop FileSystem API.
 *
 * <ul>
 *   <li>CIFAR-10 ({@code cifar-10-batches-bin/}): {@code data_batch_1.bin} … {@code data_batch_5.bin} form split
 *   {@code train}, {@code test_batch.bin} split {@code test}; record = 1 label byte (0–9) + 3072 pixel bytes;
 *   class names from {@code batches.meta.txt}, line i = label i.</li>
 *   <li>CIFAR-100 ({@code cifar-100-binary/}): {@code train.bin}, {@code test.bin}; record = 1 coarse label byte
 *   (0–19) + 1 fine label byte (0–99) + 3072 pixel bytes; the fine label is the label, the coarse one is kept;
 *   names from {@code fine_label_names.txt} and {@code coarse_label_names.txt}.</li>
 * </ul>
 * Pixels are 1024 R, 1024 G, 1024 B bytes, each plane 32x32 row-major: already the shards' CHW order. Ids are
 * record indices within a split, counting across the train batches in file order. Every file's size is checked
 * against the record size before any record is read.
 */
public final class CifarReader {
    public static final int SIDE = 32;
    public static final int CHANNELS = 3;
    public static final int PIXEL_BYTES = SIDE * SIDE * CHANNELS;

    /** The two variants and their file names. */
    public enum Variant {
        CIFAR10("cifar10", 1, 10, 0, List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                "data_batch_4.bin", "data_batch_5.bin"), List.of("test_batch.bin"), "batches.meta.txt", null),
        CIFAR100("cifar100", 2, 100, 20, List.of("train.bin"), List.of("test.bin"), "fine_label_names.txt",
                "coarse_label_names.txt");

        private final String format;
        private final int labelBytes;
        private final int classes;
        private final int coarseClasses;
        private final List<String> train;
        private final List<String> test;
        private final String names;
        private final String coarseNames;

        Variant(String format, int labelBytes, int classes, int coarseClasses, List<String> train, List<String> test,
                String names, String coarseNames) {
            this.format = format;
            this.labelBytes = labelBytes;
            this.classes = classes;
            this.coarseClasses = coarseClasses;
            this.train = train;
            this.test = test;
            this.names = names;
            this.coarseNames = coarseNames;
        }

        /** The {@code prepare.format} value. */
        public String format() {
            return format;
        }

        /** Bytes per record: label byte(s) plus 3072 pixel bytes (3073 for CIFAR-10, 3074 for CIFAR-100). */
        public int recordBytes() {
            return labelBytes + PIXEL_BYTES;
        }

        public int classes() {
            return classes;
        }

        public static Variant of(String format) {
            for (Variant v : values()) {
                if (v.format.equals(format)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("not a CIFAR format: " + format);
        }
    }

    /**
     * What was read.
     *
     * @param dir              the input folder, fully qualified
     * @param classNames       one name per label
     * @param coarseClassNames CIFAR-100: one name per coarse label; CIFAR-10: {@code null}
     * @param splits           {@code train}, then {@code test}
     * @param files            every file read, in order
     */
    public record CifarData(URI dir, List<String> classNames, List<String> coarseClassNames,
                            Map<String, ImageArrays> splits, List<URI> files) {
    }

    private CifarReader() {
    }

    /** Reads all files of {@code variant} from {@code dir}; see the class description. */
    public static CifarData read(URI dir, Variant variant, Configuration conf) {
        Path root = HadoopPaths.of(dir);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            TreeSet<String> present = new TreeSet<>();
            for (FileStatus s : HadoopPaths.listInput(fs, root, variant.format)) {
                present.add(s.getPath().getName());
            }
            List<String> expected = new ArrayList<>(variant.train);
            expected.addAll(variant.test);
            expected.add(variant.names);
            if (variant.coarseNames != null) {
                expected.add(variant.coarseNames);
            }
            List<String> missing = expected.stream().filter(n -> !present.contains(n)).toList();
            if (!missing.isEmpty()) {
                throw new DataFormatException(variant.format + " input directory " + root + " lacks " + missing
                        + "; it holds " + present + " (give the extracted " + (variant == Variant.CIFAR10
                        ? "cifar-10-batches-bin" : "cifar-100-binary") + " folder)");
            }
            // every size first, before reading any record
            Map<String, Long> records = new LinkedHashMap<>();
            for (String name : expected.subList(0, variant.train.size() + variant.test.size())) {
                Path p = new Path(root, name);
                long size = fs.getFileStatus(p).getLen();
                if (size % variant.recordBytes() != 0 || size == 0) {
                    throw new DataFormatException(p + ": size " + size + " bytes is not a whole, positive number "
                            + "of " + variant.recordBytes() + "-byte " + variant.format + " records ("
                            + size / variant.recordBytes() + " records and " + size % variant.recordBytes()
                            + " bytes left over); the file is truncated or not " + variant.format + " binary");
                }
                records.put(name, size / variant.recordBytes());
            }
            List<String> names = names(fs, new Path(root, variant.names), variant.classes);
            List<String> coarse = variant.coarseNames == null ? null
                    : names(fs, new Path(root, variant.coarseNames), variant.coarseClasses);
            Map<String, ImageArrays> splits = new LinkedHashMap<>();
            splits.put("train", readSplit(fs, root, variant, variant.train, records));
            splits.put("test", readSplit(fs, root, variant, variant.test, records));
            List<URI> files = new ArrayList<>();
            for (String name : expected) {
                files.add(new Path(root, name).toUri());
            }
            return new CifarData(root.toUri(), names, coarse, splits, files);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + variant.format + " input " + root + ": " + e, e);
        }
    }

    private static ImageArrays readSplit(FileSystem fs, Path root, Variant v, List<String> files,
                                         Map<String, Long> records) throws IOException {
        long total = files.stream().mapToLong(records::get).sum();
        if (total * PIXEL_BYTES > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(root + ": " + files + " hold " + total + " records, more than one "
                    + "in-memory split can hold");
        }
        int n = (int) total;
        byte[] pixels = new byte[n * PIXEL_BYTES];
        int[] labels = new int[n];
        int[] coarse = v.coarseNames == null ? null : new int[n];
        int i = 0;
        byte[] record = new byte[v.recordBytes()];
        for (String name : files) {
            Path p = new Path(root, name);
            long count = records.get(name);
            try (InputStream in = fs.open(p)) {
                for (long r = 0; r < count; r++, i++) {
                    if (in.readNBytes(record, 0, record.length) != record.length) {
                        throw new DataFormatException(p + ": ends inside record " + r + " (byte offset "
                                + r * record.length + "); its size changed while reading");
                    }
                    int label = record[v.labelBytes - 1] & 0xff;
                    if (label >= v.classes) {
                        throw new DataFormatException(p + ": record " + r + " (byte offset " + (r * record.length
                                + v.labelBytes - 1) + ") has label " + label + ", outside [0, " + v.classes + ")");
                    }
                    labels[i] = label;
                    if (coarse != null) {
                        int c = record[0] & 0xff;
                        if (c >= v.coarseClasses) {
                            throw new DataFormatException(p + ": record " + r + " (byte offset " + r * record.length
                                    + ") has coarse label " + c + ", outside [0, " + v.coarseClasses + ")");
                        }
                        coarse[i] = c;
                    }
                    System.arraycopy(record, v.labelBytes, pixels, i * PIXEL_BYTES, PIXEL_BYTES);
                }
            }
        }
        return new ImageArrays(SIDE, SIDE, CHANNELS, pixels, labels, coarse);
    }

    /** Non-blank lines, trimmed; there must be exactly {@code expected}. */
    private static List<String> names(FileSystem fs, Path file, int expected) throws IOException {
        String text;
        try (InputStream in = fs.open(file)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> names = Arrays.stream(text.split("\r?\n")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
        if (names.size() != expected) {
            throw new DataFormatException(file + ": holds " + names.size() + " class names, expected " + expected
                    + " (one per line, line i names label i)");
        }
        if (new TreeSet<>(names).size() != names.size()) {
            throw new DataFormatException(file + ": repeats a class name: " + names);
        }
        return names;
    }
}
