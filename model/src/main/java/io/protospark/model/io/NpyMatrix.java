package io.protospark.model.io;

import io.protospark.io.npy.NpyHeader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * A 2-d {@code .npy} matrix read straight into one flat row-major primitive array, streaming the file in chunks
 * (no intermediate copies), for matrices of hundreds of megabytes such as assignment costs and class memories.
 * Reads {@code f8, f4, i8, i4} in either byte order, C order only (the header read and checked by {@link NpyHeader});
 * {@link Npy} covers the small cases.
 */
public final class NpyMatrix {
    private final int rows;
    private final int cols;
    private final String dtype;
    private final double[] doubles;
    private final float[] floats;

    private NpyMatrix(int rows, int cols, String dtype, double[] doubles, float[] floats) {
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.doubles = doubles;
        this.floats = floats;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The file's dtype as written in its header, e.g. {@code <f8}. */
    public String dtype() {
        return dtype;
    }

    /** The values as doubles (row-major); only for {@link #readDoubles}. Not copied. */
    public double[] doubles() {
        return doubles;
    }

    /** The values as floats (row-major); only for {@link #readFloats}. Not copied. */
    public float[] floats() {
        return floats;
    }

    /** Reads a 2-d matrix as doubles. Errors name the file. */
    public static NpyMatrix readDoubles(Path file) throws IOException {
        return read(file, true);
    }

    /** Reads a 2-d matrix as floats (f8 values are rounded to float). Errors name the file. */
    public static NpyMatrix readFloats(Path file) throws IOException {
        return read(file, false);
    }

    /**
     * Reads a 2-d matrix as doubles from a stream (for instance a Hadoop FileSystem stream), which must hold exactly
     * one {@code .npy} file: data missing or left over is an error. The stream is not closed. Errors name {@code name}.
     */
    public static NpyMatrix readDoubles(java.io.InputStream in, String name) throws IOException {
        ReadableByteChannel ch = Channels.newChannel(in);
        NpyMatrix m = read(ch, name, -1, true);
        if (ch.read(ByteBuffer.allocate(1)) >= 0) {
            throw new IOException(name + ": more bytes follow the " + m.rows + " x " + m.cols + " matrix its header "
                    + "declares");
        }
        return m;
    }

    private static NpyMatrix read(Path file, boolean asDouble) throws IOException {
        String name = file.toString();
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException(name + ": no such file");
        }
        try (ch) {
            return read(ch, name, ch.size(), asDouble);
        }
    }

    /** {@code total}: the channel's size in bytes when known (a file), else −1 (a stream: checked while reading). */
    private static NpyMatrix read(ReadableByteChannel ch, String name, long total, boolean asDouble)
            throws IOException {
        NpyHeader h = NpyHeader.read(Channels.newInputStream(ch), name);
        if (h.fortranOrder()) {
            throw new IOException(name
                    + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        ByteOrder order = h.order();
        char kind = h.kind();
        int size = h.itemSize();
        String descr = h.descr();
        if (!((kind == 'f' || kind == 'i') && (size == 4 || size == 8))) {
            throw new IOException(name + ": unsupported dtype " + descr + " (expected f8, f4, i8 or i4)");
        }
        long[] shape = h.shape();
        int dims = shape.length;
        if (dims != 2) {
            throw new IOException(name + ": expected a 2-d matrix, found a " + dims + "-d array of shape "
                    + h.shapeString());
        }
        long count = shape[0] * shape[1];
        if (count > Integer.MAX_VALUE - 8) {
            throw new IOException(String.format(Locale.ROOT, "%s: %d x %d is too large for one array", name,
                    shape[0], shape[1]));
        }
        long dataBytes = total < 0 ? count * size : total - h.dataOffset();
        if (dataBytes != count * size) {
            throw new IOException(String.format(Locale.ROOT, "%s: shape (%d, %d) of %s needs %d data bytes, "
                    + "file has %d", name, shape[0], shape[1], descr, count * size, dataBytes));
        }
        int n = (int) count;
        double[] dv = asDouble ? new double[n] : null;
        float[] fv = asDouble ? null : new float[n];
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(order);
        int at = 0;
        while (at < n) {
            buf.clear();
            int want = Math.min(buf.capacity() / size, n - at) * size;
            buf.limit(want);
            readFully(ch, buf, name, "its data");
            buf.flip();
            int m = want / size;
            for (int x = 0; x < m; x++, at++) {
                double v;
                if (kind == 'f') {
                    v = size == 8 ? buf.getDouble() : buf.getFloat();
                } else {
                    v = size == 8 ? buf.getLong() : buf.getInt();
                }
                if (asDouble) {
                    dv[at] = v;
                } else {
                    fv[at] = (float) v;
                }
            }
        }
        return new NpyMatrix((int) shape[0], (int) shape[1], descr, dv, fv);
    }

    private static void readFully(ReadableByteChannel ch, ByteBuffer b, String name, String what) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException(name + ": file ends inside " + what);
            }
        }
    }
}
