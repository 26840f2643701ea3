package io.protospark.data.svhn;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * Writes Level 5 MAT-files byte for byte (MathWorks, "MAT-File Format": a 128-byte header, then miMATRIX elements
 * of array flags, dimensions, name and real part, each sub-element padded to 8 bytes; optionally each variable
 * wrapped in a zlib miCOMPRESSED element, as MATLAB -v7 and {@code scipy.io.savemat(do_compression=True)} write
 * them), and SVHN folders of such files with pixels and labels computable from the index.
 */
public final class SvhnTestFiles {
    static final int MI_INT8 = 1;
    static final int MI_UINT8 = 2;
    static final int MI_INT32 = 5;
    static final int MI_UINT32 = 6;
    static final int MI_DOUBLE = 9;
    static final int MI_MATRIX = 14;
    static final int MI_COMPRESSED = 15;
    static final int MX_CELL = 1;
    static final int MX_DOUBLE = 6;
    static final int MX_UINT8 = 9;

    private SvhnTestFiles() {
    }

    /** Pixel (channel c, row y, column x) of image n of a file seeded {@code seed}: asymmetric in x and y. */
    static int pixel(int seed, int n, int c, int y, int x) {
        return (seed * 17 + n * 37 + c * 71 + y * 5 + x * 3 + (y * x) % 7) & 0xff;
    }

    /** The CHW bytes the shards must hold for image n. */
    static byte[] chw(int seed, int n) {
        byte[] b = new byte[3072];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    b[c * 1024 + y * 32 + x] = (byte) pixel(seed, n, c, y, x);
                }
            }
        }
        return b;
    }

    /** SVHN's label of image n: 1..10 cycling from a seeded start, so 10 (digit 0) occurs. */
    static int svhnLabel(int seed, int n) {
        return (n * 3 + seed) % 10 + 1;
    }

    /** X as MATLAB holds it: 32x32x3xN, column-major (row fastest, then column, channel, image). */
    static byte[] columnMajorX(int seed, int count) {
        byte[] b = new byte[count * 3072];
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < 3; c++) {
                for (int x = 0; x < 32; x++) {
                    for (int y = 0; y < 32; y++) {
                        b[y + 32 * x + 1024 * c + 3072 * n] = (byte) pixel(seed, n, c, y, x);
                    }
                }
            }
        }
        return b;
    }

    static byte[] header() {
        byte[] h = new byte[128];
        Arrays.fill(h, 0, 116, (byte) ' ');
        byte[] text = "MATLAB 5.0 MAT-file, Platform: test, Created on: Mon Jan  1 00:00:00 2024"
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, h, 0, text.length);
        // bytes 116..123: subsystem data offset, zero; 124..125: version 0x0100; 126..127: "IM" (little-endian)
        h[124] = 0x00;
        h[125] = 0x01;
        h[126] = 'I';
        h[127] = 'M';
        return h;
    }

    /** A data element in normal format (8-byte tag), or small format (4-byte tag) when asked and it fits. */
    static byte[] element(int type, byte[] data, boolean small) {
        if (small && data.length <= 4) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(data.length << 16 | type);
            b.put(data);
            return b.array();
        }
        int padded = (data.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(data.length).put(data);
        return b.array();
    }

    /** A miMATRIX element: array flags (class), dimensions, name, and the real part of type {@code dataType}. */
    static byte[] matrix(String name, int matlabClass, int[] dims, int dataType, byte[] data) {
        ByteBuffer flags = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(matlabClass).putInt(0);
        ByteBuffer d = ByteBuffer.allocate(4 * dims.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : dims) {
            d.putInt(x);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(element(MI_UINT32, flags.array(), false));
        body.writeBytes(element(MI_INT32, d.array(), false));
        body.writeBytes(element(MI_INT8, name.getBytes(StandardCharsets.US_ASCII), true));
        if (data != null) {
            body.writeBytes(element(dataType, data, true));
        }
        return element(MI_MATRIX, body.toByteArray(), false);
    }

    /** {@code element} wrapped in a miCOMPRESSED element (zlib, not padded). */
    static byte[] compressed(byte[] element) {
        Deflater deflater = new Deflater();
        deflater.setInput(element);
        deflater.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!deflater.finished()) {
            z.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        ByteBuffer b = ByteBuffer.allocate(8 + z.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MI_COMPRESSED).putInt(z.size()).put(z.toByteArray());
        return b.array();
    }

    static byte[] doubles(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    /** How y is stored. */
    enum Labels {
        /** class uint8, miUINT8 data (the originals). */
        UINT8,
        /** class double, miDOUBLE data (scipy.io.savemat of a float array). */
        DOUBLE,
        /** class double, miUINT8 data (MATLAB's compact storage of small integers). */
        DOUBLE_AS_UINT8
    }

    static byte[] xMatrix(int seed, int count) {
        return matrix("X", MX_UINT8, new int[]{32, 32, 3, count}, MI_UINT8, columnMajorX(seed, count));
    }

    static byte[] yMatrix(int[] labels, Labels storage) {
        byte[] bytes = new byte[labels.length];
        double[] values = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            bytes[i] = (byte) labels[i];
            values[i] = labels[i];
        }
        int[] dims = {labels.length, 1};
        return switch (storage) {
            case UINT8 -> matrix("y", MX_UINT8, dims, MI_UINT8, bytes);
            case DOUBLE -> matrix("y", MX_DOUBLE, dims, MI_DOUBLE, doubles(values));
            case DOUBLE_AS_UINT8 -> matrix("y", MX_DOUBLE, dims, MI_UINT8, bytes);
        };
    }

    static int[] labels(int seed, int count) {
        int[] y = new int[count];
        for (int n = 0; n < count; n++) {
            y[n] = svhnLabel(seed, n);
        }
        return y;
    }

    /** A MAT-file of the given elements. */
    static void mat(Path file, boolean compress, byte[]... matrices) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header());
        for (byte[] m : matrices) {
            out.writeBytes(compress ? compressed(m) : m);
        }
        Files.createDirectories(file.getParent());
        Files.write(file, out.toByteArray());
    }

    /** An SVHN cropped-digit file: X with images seeded {@code seed}, then y. */
    static void svhnFile(Path file, int seed, int count, boolean compress, Labels storage) throws IOException {
        mat(file, compress, xMatrix(seed, count), yMatrix(labels(seed, count), storage));
    }
}
