package io.protospark.data.npy;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.io.npy.NpyFormatException;
import io.protospark.io.npy.NpyHeader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A NumPy {@code .npy} image array checked on the driver: uint8, shape N×H×W×C (C = 1 or 3) or N×H×W
 * (grey-scale), C order, optionally with a labels {@code .npy} (integer vector of length N). Only the headers,
 * the file lengths and the labels are read here; the executors read the pixels ({@link NpyRows}). Fortran-order
 * image arrays are refused: one image's pixels would be spread over the whole file.
 */
public final class NpySource {
    private static final Logger LOG = LoggerFactory.getLogger(NpySource.class);
    /** The largest label accepted, so that a corrupt labels file cannot ask for billions of classes. */
    public static final int MAX_LABEL = (1 << 20) - 1;

    /**
     * The checked array.
     *
     * @param file       the images {@code .npy}, fully qualified
     * @param dataOffset byte offset of the first pixel
     * @param height     image height
     * @param width      image width
     * @param channels   1 or 3
     * @param labels     label of every image (all 0 without a labels file)
     * @param classes    largest label + 1 (1 without a labels file)
     * @param files      the images file and, if given, the labels file, to checksum
     */
    public record Listing(URI file, long dataOffset, int height, int width, int channels, int[] labels,
                          int classes, List<URI> files) {
        public int count() {
            return labels.length;
        }
    }

    private NpySource() {
    }

    /** Checks {@code images} (and {@code labels}, may be {@code null}) and reads the labels. */
    public static Listing read(URI images, URI labels, Configuration conf) {
        Path file = HadoopPaths.of(images);
        NpyHeader h;
        long length;
        try {
            FileSystem fs = file.getFileSystem(conf);
            file = fs.makeQualified(file);
            length = fileLength(fs, file, "images");
            try (FSDataInputStream in = fs.open(file)) {
                h = header(in, file.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read npy input " + file + ": " + e, e);
        }
        String name = file.toString();
        String expected = "expected a uint8 image array of shape (N, H, W, C) with C = 1 or 3, or (N, H, W)";
        if (!(h.kind() == 'u' && h.itemSize() == 1)) {
            throw new DataFormatException(name + ": dtype '" + h.descr() + "' is not uint8; " + expected
                    + " ('|u1'; float images must be scaled to 0..255 and converted with .astype(np.uint8))");
        }
        if (h.shape().length != 3 && h.shape().length != 4) {
            throw new DataFormatException(name + ": shape " + h.shapeString() + " has rank " + h.shape().length
                    + "; " + expected);
        }
        long n = h.shape()[0];
        long height = h.shape()[1];
        long width = h.shape()[2];
        long channels = h.shape().length == 4 ? h.shape()[3] : 1;
        if (channels != 1 && channels != 3) {
            throw new DataFormatException(name + ": shape " + h.shapeString() + " has " + channels + " channels in "
                    + "its last axis; " + expected + (height == 1 || height == 3 ? " (channels-first arrays must be "
                    + "transposed to N, H, W, C: a.transpose(0, 2, 3, 1))" : ""));
        }
        if (n == 0 || height == 0 || width == 0) {
            throw new DataFormatException(name + ": shape " + h.shapeString() + " holds no pixels");
        }
        long imageBytes;
        try {
            imageBytes = Math.multiplyExact(Math.multiplyExact(height, width), channels);
        } catch (ArithmeticException e) {
            imageBytes = Long.MAX_VALUE;
        }
        if (n > Integer.MAX_VALUE - 8 || imageBytes > Integer.MAX_VALUE - 8 || h.dataBytes() < 0) {
            throw new DataFormatException(name + ": shape " + h.shapeString() + " is too large (at most 2^31 - 9 "
                    + "images of at most 2^31 - 9 bytes each)");
        }
        if (h.fortranOrder()) {
            throw new DataFormatException(name + ": the array is stored in Fortran order (fortran_order: True), "
                    + "which spreads each image over the whole file; only C order is supported. Re-save it with "
                    + "np.save(path, np.ascontiguousarray(a))");
        }
        long need = h.dataBytes();
        long have = length - h.dataOffset();
        if (have < need) {
            throw new DataFormatException(String.format(Locale.ROOT, "%s: truncated: shape %s of uint8 needs %d "
                    + "data bytes after the %d-byte header, the file has %d (%d complete images of %d)", name,
                    h.shapeString(), need, h.dataOffset(), Math.max(have, 0),
                    Math.max(have, 0) / imageBytes, n));
        }
        if (have > need) {
            throw new DataFormatException(String.format(Locale.ROOT, "%s: %d bytes follow the %d data bytes of "
                    + "shape %s; expected a single array saved by np.save", name, have - need, need, h.shapeString()));
        }

        int[] labelValues;
        List<URI> files = new ArrayList<>();
        files.add(file.toUri());
        int classes;
        if (labels == null) {
            labelValues = new int[(int) n];
            classes = 1;
        } else {
            Path lf = HadoopPaths.of(labels);
            try {
                FileSystem fs = lf.getFileSystem(conf);
                lf = fs.makeQualified(lf);
                labelValues = readLabels(fs, lf, n);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read npy labels " + lf + ": " + e, e);
            }
            files.add(lf.toUri());
            int max = 0;
            for (int v : labelValues) {
                max = Math.max(max, v);
            }
            classes = max + 1;
        }
        LOG.info("{}: {} images {}x{}x{} (HWC, uint8), {} classes{}", name, n, height, width, channels, classes,
                labels == null ? " (no labels file: every image has label 0)" : "");
        return new Listing(file.toUri(), h.dataOffset(), (int) height, (int) width, (int) channels, labelValues,
                classes, List.copyOf(files));
    }

    /** Reads a 1-d integer {@code .npy} of length {@code n}, every value in [0, {@link #MAX_LABEL}]. */
    static int[] readLabels(FileSystem fs, Path file, long n) throws IOException {
        String name = file.toString();
        long length = fileLength(fs, file, "labels");
        String expected = "expected a 1-d integer array (int8/16/32/64 or uint8/16/32/64) of one label per image";
        try (InputStream in = new BufferedInputStream(fs.open(file), 1 << 16)) {
            NpyHeader h = header(in, name);
            int size = h.itemSize();
            if (!((h.kind() == 'i' || h.kind() == 'u') && (size == 1 || size == 2 || size == 4 || size == 8))) {
                throw new DataFormatException(name + ": labels dtype '" + h.descr() + "' is not an integer type; "
                        + expected);
            }
            if (h.shape().length != 1) {
                throw new DataFormatException(name + ": labels shape " + h.shapeString() + " has rank "
                        + h.shape().length + "; " + expected);
            }
            if (h.shape()[0] != n) {
                throw new DataFormatException(name + ": holds " + h.shape()[0] + " labels but the images file has "
                        + n + " images; " + expected);
            }
            long need = h.dataBytes();
            long have = length - h.dataOffset();
            if (have != need) {
                throw new DataFormatException(String.format(Locale.ROOT, "%s: shape %s of %s needs %d data bytes "
                        + "after the %d-byte header, the file has %d%s", name, h.shapeString(), h.descr(), need,
                        h.dataOffset(), have, have < need ? " (truncated)" : ""));
            }
            // 1-d: Fortran and C order are the same layout
            int[] labels = new int[(int) n];
            DataInputStream data = new DataInputStream(in);
            ByteBuffer buf = ByteBuffer.allocate(Math.max(size, (1 << 16) / size * size)).order(h.order());
            int at = 0;
            while (at < n) {
                int m = (int) Math.min(buf.capacity() / size, n - at);
                buf.clear();
                try {
                    data.readFully(buf.array(), 0, m * size);
                } catch (EOFException e) {
                    throw new DataFormatException(name + ": file ends inside label " + at + " (truncated)");
                }
                buf.limit(m * size);
                for (int k = 0; k < m; k++, at++) {
                    long v = switch (size) {
                        case 1 -> h.kind() == 'u' ? buf.get() & 0xffL : buf.get();
                        case 2 -> h.kind() == 'u' ? buf.getShort() & 0xffffL : buf.getShort();
                        case 4 -> h.kind() == 'u' ? buf.getInt() & 0xffffffffL : buf.getInt();
                        default -> buf.getLong();
                    };
                    if (size == 8 && h.kind() == 'u' && v < 0) {
                        throw new DataFormatException(name + ": label " + at + " is " + Long.toUnsignedString(v)
                                + ", larger than the largest label " + MAX_LABEL + " this reader accepts");
                    }
                    if (v < 0) {
                        throw new DataFormatException(name + ": label " + at + " is negative (" + v + "); labels "
                                + "must be class indices 0, 1, ...");
                    }
                    if (v > MAX_LABEL) {
                        throw new DataFormatException(name + ": label " + at + " is " + v + ", larger than the "
                                + "largest label " + MAX_LABEL + " this reader accepts");
                    }
                    labels[at] = (int) v;
                }
            }
            return labels;
        }
    }

    /** The header of {@code in}; one that cannot be read is a {@link DataFormatException} with the same message. */
    private static NpyHeader header(InputStream in, String name) throws IOException {
        try {
            return NpyHeader.read(in, name);
        } catch (NpyFormatException e) {
            throw new DataFormatException(e.getMessage(), e);
        }
    }

    private static long fileLength(FileSystem fs, Path file, String what) throws IOException {
        FileStatus status;
        try {
            status = fs.getFileStatus(file);
        } catch (FileNotFoundException e) {
            throw new DataFormatException("npy " + what + " file not found: " + file);
        }
        if (status.isDirectory()) {
            throw new DataFormatException(file + ": is a directory; format npy expects the " + what + " .npy file "
                    + "itself");
        }
        return status.getLen();
    }
}
