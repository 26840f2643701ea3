package io.protospark.data.idx;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST / Fashion-MNIST IDX files (LeCun et al., "Gradient-based learning applied to document
 * recognition", 1998; Xiao et al., "Fashion-MNIST", 2017), raw or gzip-compressed, through the Hadoop
 * FileSystem API, so {@code file:}, {@code hdfs:}, {@code s3a:} and bare paths all work.
 *
 * <p>Layout (the MNIST IDX format): a big-endian int32 magic {@code 0x00 0x00 <type> <ndims>},
 * one big-endian int32 per dimension, then the data in C order. Only unsigned-byte data (type {@code 0x08}) is
 * accepted: images have magic {@code 0x00000803} (N, rows, cols), labels {@code 0x00000801} (N). Compression is
 * detected by the gzip magic bytes {@code 1f 8b}, never by the file name. Every problem raises a
 * {@link DataFormatException} naming the file and the byte offset (of the decompressed data for gzip files) or
 * the record index.
 */
public final class IdxReader {
    /** IDX element type of MNIST data: unsigned byte. */
    public static final int UNSIGNED_BYTE = 0x08;

    /** Largest array the JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** What an IDX file should hold. */
    public enum Kind {
        IMAGES(0x00000803, 3, "image"),
        LABELS(0x00000801, 1, "label");

        private final int magic;
        private final int dimensions;
        private final String noun;

        Kind(int magic, int dimensions, String noun) {
            this.magic = magic;
            this.dimensions = dimensions;
            this.noun = noun;
        }

        /** The expected magic number, {@code 0x00000803} for images and {@code 0x00000801} for labels. */
        public int magic() {
            return magic;
        }

        /** The expected number of dimensions: 3 for images, 1 for labels. */
        public int dimensions() {
            return dimensions;
        }

        /** Size of the header in bytes: the magic number and one int32 per dimension. */
        public int headerBytes() {
            return 4 + 4 * dimensions;
        }
    }

    /**
     * The header of one IDX file.
     *
     * @param file       the file it was read from
     * @param kind       images or labels
     * @param dimensions the declared sizes: (N, rows, cols) for images, (N) for labels
     */
    public record IdxHeader(URI file, Kind kind, List<Integer> dimensions) {
        public IdxHeader {
            dimensions = List.copyOf(dimensions);
        }

        /** The declared number of records N. */
        public int count() {
            return dimensions.get(0);
        }

        /** Bytes per record: rows * cols for images, 1 for labels. */
        public long recordBytes() {
            long bytes = 1;
            for (int i = 1; i < dimensions.size(); i++) {
                bytes *= dimensions.get(i);
            }
            return bytes;
        }
    }

    private IdxReader() {
    }

    /** Reads and checks the header of {@code file} only (magic number, element type, dimensions). */
    public static IdxHeader readHeader(URI file, Kind kind, Configuration conf) {
        try (Cursor in = Cursor.open(file, kind, conf)) {
            return header(in, kind);
        }
    }

    /**
     * Reads the headers of an image file and its label file and checks that they declare the same number of
     * records. Cheap: reads only the first bytes of each file.
     *
     * @return the image header
     */
    public static IdxHeader readPairHeaders(URI images, URI labels, Configuration conf) {
        IdxHeader imageHeader = readHeader(images, Kind.IMAGES, conf);
        IdxHeader labelHeader = readHeader(labels, Kind.LABELS, conf);
        checkCounts(imageHeader, labelHeader);
        return imageHeader;
    }

    /**
     * Reads an image file and its label file completely, checking headers, that both declare the same count,
     * that the data is exactly as long as declared and that every label lies in {@code [0, classes)}.
     *
     * @param classes number of classes, 1 to 256 (labels are unsigned bytes)
     */
    public static IdxData read(URI images, URI labels, int classes, Configuration conf) {
        if (classes < 1 || classes > 256) {
            throw new IllegalArgumentException("classes must lie in [1, 256] for IDX unsigned-byte labels, found "
                    + classes);
        }
        try (Cursor imageIn = Cursor.open(images, Kind.IMAGES, conf);
             Cursor labelIn = Cursor.open(labels, Kind.LABELS, conf)) {
            IdxHeader imageHeader = header(imageIn, Kind.IMAGES);
            IdxHeader labelHeader = header(labelIn, Kind.LABELS);
            checkCounts(imageHeader, labelHeader);
            byte[] pixels = data(imageIn, imageHeader);
            byte[] labelBytes = data(labelIn, labelHeader);
            for (int i = 0; i < labelBytes.length; i++) {
                int value = labelBytes[i] & 0xff;
                if (value >= classes) {
                    throw new DataFormatException(labelIn.name + ": label " + value + " of record " + i + " at "
                            + labelIn.at(Kind.LABELS.headerBytes() + (long) i) + " is out of range [0, " + classes
                            + ") (classes = " + classes + ")");
                }
            }
            return new IdxData(images, labels, imageHeader.dimensions().get(1), imageHeader.dimensions().get(2),
                    pixels, labelBytes);
        }
    }

    private static void checkCounts(IdxHeader images, IdxHeader labels) {
        if (images.count() != labels.count()) {
            throw new DataFormatException("image and label counts disagree: " + HadoopPaths.of(images.file())
                    + " declares " + images.count() + " images but " + HadoopPaths.of(labels.file()) + " declares "
                    + labels.count() + " labels");
        }
    }

    private static IdxHeader header(Cursor in, Kind kind) {
        int magic = in.readInt("the magic number");
        if ((magic >>> 16) != 0) {
            throw new DataFormatException(String.format("%s: bad magic number 0x%08X at byte offset 0: not an IDX "
                    + "file (IDX files start with two zero bytes); expected 0x%08X for an IDX %s file",
                    in.name, magic, kind.magic, kind.noun));
        }
        int type = (magic >>> 8) & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new DataFormatException(String.format("%s: bad magic number 0x%08X at byte offset 0: element "
                    + "type 0x%02X (byte offset 2) is not supported; MNIST-style %s files hold unsigned bytes "
                    + "(type 0x08, magic 0x%08X)", in.name, magic, type, kind.noun, kind.magic));
        }
        int dims = magic & 0xff;
        if (dims != kind.dimensions) {
            String hint = dims == Kind.LABELS.dimensions ? " (this looks like a label file)"
                    : dims == Kind.IMAGES.dimensions ? " (this looks like an image file)" : "";
            throw new DataFormatException(String.format("%s: bad magic number 0x%08X at byte offset 0: "
                    + "number of dimensions %d (byte offset 3), but an IDX %s file has %d (magic 0x%08X)%s",
                    in.name, magic, dims, kind.noun, kind.dimensions, kind.magic, hint));
        }
        List<Integer> sizes = new ArrayList<>(dims);
        for (int d = 0; d < dims; d++) {
            long offset = in.offset;
            int size = in.readInt("the size of dimension " + d);
            if (size < 0 || (d > 0 && size == 0)) {
                throw new DataFormatException(in.name + ": size of dimension " + d + " at " + in.at(offset)
                        + " is " + Integer.toUnsignedString(size) + ", which is not a usable "
                        + (d == 0 ? "record count" : kind.noun + " size"));
            }
            sizes.add(size);
        }
        IdxHeader header = new IdxHeader(in.file, kind, sizes);
        if (header.recordBytes() > MAX_ARRAY || header.count() * header.recordBytes() > MAX_ARRAY) {
            throw new DataFormatException(in.name + ": declares " + header.count() + " records of "
                    + header.recordBytes() + " bytes, more than one driver-side array can hold");
        }
        return header;
    }

    private static byte[] data(Cursor in, IdxHeader header) {
        int recordBytes = (int) header.recordBytes();
        byte[] data = new byte[header.count() * recordBytes];
        int got = in.fill(data);
        if (got < data.length) {
            int record = got / recordBytes;
            String shape = header.kind() == Kind.IMAGES
                    ? header.count() + " images of " + header.dimensions().get(1) + "x" + header.dimensions().get(2)
                    + " (" + recordBytes + " bytes each)"
                    : header.count() + " labels (1 byte each)";
            throw new DataFormatException(in.name + ": truncated: the header declares " + shape + " but the data "
                    + "ends at " + in.at(in.offset) + (in.gzipCutShort ? " (the gzip stream itself is cut short)" : "")
                    + "; " + header.kind().noun + " record " + record + " of " + header.count() + " is incomplete ("
                    + (got - (long) record * recordBytes) + " of " + recordBytes + " bytes)");
        }
        if (!in.atEnd()) {
            throw new DataFormatException(in.name + ": more data than declared: the header declares "
                    + header.count() + " records of " + recordBytes + " bytes, but there are further bytes at "
                    + in.at(in.offset) + " (after record " + (header.count() - 1) + ")");
        }
        return data;
    }

    /** A stream over one IDX file that counts bytes of (decompressed) data and names the file in errors. */
    private static final class Cursor implements Closeable {
        final URI file;
        final String name;
        final boolean gzip;
        final InputStream in;
        long offset;
        boolean gzipCutShort;

        private Cursor(URI file, String name, boolean gzip, InputStream in) {
            this.file = file;
            this.name = name;
            this.gzip = gzip;
            this.in = in;
        }

        static Cursor open(URI file, Kind kind, Configuration conf) {
            Path path = HadoopPaths.of(file);
            InputStream raw = null;
            try {
                FileSystem fs = path.getFileSystem(conf);
                FileStatus status;
                try {
                    status = fs.getFileStatus(path);
                } catch (FileNotFoundException e) {
                    throw new DataFormatException("IDX " + kind.noun + " file not found: " + path + "; expected an "
                            + "IDX " + kind.noun + " file (magic 0x" + String.format("%08X", kind.magic)
                            + ", raw or gzip), such as " + (kind == Kind.IMAGES ? "train-images-idx3-ubyte.gz"
                            : "train-labels-idx1-ubyte.gz"));
                }
                if (status.isDirectory()) {
                    throw new DataFormatException("IDX " + kind.noun + " file " + path + " is a directory; "
                            + "expected an IDX " + kind.noun + " file");
                }
                raw = new BufferedInputStream(fs.open(path), 1 << 16);
                raw.mark(2);
                boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
                raw.reset();
                InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
                return new Cursor(file, path.toString(), gzip, in);
            } catch (IOException e) {
                closeQuietly(raw);
                throw new UncheckedIOException("cannot open IDX " + kind.noun + " file " + path + ": " + e, e);
            } catch (RuntimeException e) {
                closeQuietly(raw);
                throw e;
            }
        }

        /** "byte offset N", saying when N counts decompressed bytes. */
        String at(long byteOffset) {
            return "byte offset " + byteOffset + (gzip ? " of the decompressed data" : "");
        }

        int readInt(String what) {
            byte[] b = new byte[4];
            long start = offset;
            if (fill(b) < 4) {
                throw new DataFormatException(name + ": truncated header: the file ends at " + at(offset)
                        + " while reading " + what + " (4 bytes from " + at(start) + ")");
            }
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        }

        /** Reads up to {@code b.length} bytes; fewer only at the end of the data. */
        int fill(byte[] b) {
            int n = 0;
            try {
                while (n < b.length) {
                    int r = in.read(b, n, b.length - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                    offset += r;
                }
            } catch (EOFException e) {
                if (!gzip) {
                    throw failure(e);
                }
                gzipCutShort = true; // GZIPInputStream: "Unexpected end of ZLIB input stream"
            } catch (IOException e) {
                throw failure(e);
            }
            return n;
        }

        boolean atEnd() {
            try {
                return in.read() < 0;
            } catch (IOException e) {
                throw failure(e);
            }
        }

        private RuntimeException failure(IOException e) {
            if (e instanceof ZipException) {
                return new DataFormatException(name + ": corrupt gzip data after " + at(offset) + ": "
                        + e.getMessage(), e);
            }
            return new UncheckedIOException("cannot read " + name + " at " + at(offset) + ": " + e, e);
        }

        @Override
        public void close() {
            closeQuietly(in);
        }

        private static void closeQuietly(Closeable c) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // nothing was written; a failed close of an input stream loses nothing
                }
            }
        }
    }
}
