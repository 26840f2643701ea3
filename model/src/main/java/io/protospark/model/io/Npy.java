package io.protospark.model.io;

import io.protospark.io.npy.NpyHeader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * NumPy {@code .npy} files (format versions 1.0–3.0), for prototype matrices and assignments.
 *
 * <p>Writes version 1.0, C order, little-endian: {@code <f8} for matrices, {@code <i8} for integer vectors.
 * Reads {@code f8, f4, i8, i4} in either byte order; Fortran order is refused. The header is read and checked by
 * {@link NpyHeader}. {@code name} in every method is used in error messages only.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {
    }

    /** Writes a K×d float64 matrix. */
    public static void writeMatrix(OutputStream out, double[][] m) throws IOException {
        int rows = m.length;
        writeMatrix(out, rows, rows == 0 ? 0 : m[0].length, i -> m[i]);
    }

    /**
     * Writes a {@code rows}×{@code cols} float64 matrix one row at a time ({@code row.apply(i)} = row i), so a matrix
     * of a gigabyte is never copied whole.
     */
    public static void writeMatrix(OutputStream out, int rows, int cols, java.util.function.IntFunction<double[]> row)
            throws IOException {
        writeHeader(out, "<f8", "(" + rows + ", " + cols + ")");
        ByteBuffer buf = ByteBuffer.allocate(8 * cols).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows; i++) {
            double[] r = row.apply(i);
            if (r.length != cols) {
                throw new IllegalArgumentException("ragged matrix: row " + i + " has " + r.length
                        + " columns, expected " + cols);
            }
            buf.clear();
            for (double v : r) {
                buf.putDouble(v);
            }
            out.write(buf.array(), 0, buf.position());
        }
        out.flush();
    }

    /** Writes an int64 vector. */
    public static void writeIntVector(OutputStream out, int[] v) throws IOException {
        writeHeader(out, "<i8", "(" + v.length + ",)");
        ByteBuffer buf = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            buf.putLong(x);
        }
        out.write(buf.array());
        out.flush();
    }

    /** Reads a 2-d array of any supported numeric type as doubles. */
    public static double[][] readMatrix(InputStream in, String name) throws IOException {
        Array a = read(in, name);
        if (a.shape.length != 2) {
            throw new IOException(name + ": expected a 2-d array, found shape " + a.shapeString());
        }
        int rows = (int) a.shape[0];
        int cols = (int) a.shape[1];
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = a.get(i * (long) cols + j);
            }
        }
        return m;
    }

    /** Reads a 1-d integer array. */
    public static int[] readIntVector(InputStream in, String name) throws IOException {
        Array a = read(in, name);
        if (a.shape.length != 1) {
            throw new IOException(name + ": expected a 1-d array, found shape " + a.shapeString());
        }
        if (a.kind != 'i') {
            throw new IOException(name + ": expected an integer array, found dtype " + a.descr);
        }
        int[] v = new int[(int) a.shape[0]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) a.get(i);
        }
        return v;
    }

    private static void writeHeader(OutputStream out, String descr, String shape) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        StringBuilder header = new StringBuilder(dict);
        header.append(" ".repeat(pad)).append('\n');
        out.write(MAGIC);
        out.write(1);
        out.write(0);
        int len = header.length();
        out.write(len & 0xff);
        out.write((len >>> 8) & 0xff);
        out.write(header.toString().getBytes(StandardCharsets.US_ASCII));
    }

    private static Array read(InputStream raw, String name) throws IOException {
        NpyHeader h = NpyHeader.read(raw, name);
        if (h.fortranOrder()) {
            throw new IOException(name + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        ByteOrder order = h.order();
        char kind = h.kind();
        int size = h.itemSize();
        String descr = h.descr();
        if (!((kind == 'f' && (size == 4 || size == 8)) || (kind == 'i' && (size == 4 || size == 8)))) {
            throw new IOException(name + ": unsupported dtype " + descr + " (expected f8, f4, i8 or i4)");
        }
        long[] shape = h.shape();
        long count = 1;
        for (long x : shape) {
            count *= x;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        raw.transferTo(body);
        byte[] data = body.toByteArray();
        if (data.length != count * size) {
            throw new IOException(String.format(Locale.ROOT, "%s: shape %s of %s needs %d data bytes, file has %d",
                    name, java.util.Arrays.toString(shape), descr, count * size, data.length));
        }
        return new Array(kind, size, descr, shape, ByteBuffer.wrap(data).order(order));
    }

    private record Array(char kind, int size, String descr, long[] shape, ByteBuffer data) {
        double get(long i) {
            int off = (int) (i * size);
            if (kind == 'f') {
                return size == 8 ? data.getDouble(off) : data.getFloat(off);
            }
            return size == 8 ? data.getLong(off) : data.getInt(off);
        }

        String shapeString() {
            return java.util.Arrays.toString(shape);
        }
    }
}
