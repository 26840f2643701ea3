package io.protospark.data.image;

import io.protospark.data.io.DataFormatException;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * A minimal reader of MATLAB Level 5 MAT-files (MathWorks, "MAT-File Format", version 5/7, little-endian,
 * compressed or not): enough to read the ILSVRC-2012 devkit's {@code meta.mat}. Numeric arrays become
 * {@code double[]} (column-major), char arrays {@code String}, struct arrays {@code List<Map<String, Object>>}
 * (one map per element, column-major), cell arrays {@code List<Object>}. MATLAB 7.3 files (HDF5) are not read.
 *
 * <p>{@link #stream} reads the top-level variables of a file from a stream instead, one at a time, without
 * holding the file or an array in memory (SVHN's {@code extra_32x32.mat} holds 1.6 GB of pixels): each
 * variable's header is handed to a {@link VariableHandler}, which reads the values it wants, in column-major
 * order, as they are inflated.
 */
public final class MatFile {
    private static final int MI_INT8 = 1;
    private static final int MI_UINT8 = 2;
    private static final int MI_INT16 = 3;
    private static final int MI_UINT16 = 4;
    private static final int MI_INT32 = 5;
    private static final int MI_UINT32 = 6;
    private static final int MI_SINGLE = 7;
    private static final int MI_DOUBLE = 9;
    private static final int MI_INT64 = 12;
    private static final int MI_UINT64 = 13;
    private static final int MI_MATRIX = 14;
    private static final int MI_COMPRESSED = 15;
    private static final int MI_UTF8 = 16;
    private static final int MI_UTF16 = 17;

    private static final int MX_CELL = 1;
    private static final int MX_STRUCT = 2;
    private static final int MX_CHAR = 4;

    private final String origin;

    private MatFile(String origin) {
        this.origin = origin;
    }

    /** The variables of a MAT-file, by name. */
    public static Map<String, Object> read(byte[] file, String origin) {
        if (file.length < 128) {
            throw new DataFormatException(origin + ": " + file.length + " bytes, shorter than a MAT-file header");
        }
        String text = new String(file, 0, 116, StandardCharsets.ISO_8859_1);
        if (text.startsWith("MATLAB 7.3")) {
            throw new DataFormatException(origin + ": a MATLAB 7.3 (HDF5) file, which this reader does not read; "
                    + "save it with -v7, or export the mapping as text");
        }
        if (file[126] != 'I' || file[127] != 'M') {
            throw new DataFormatException(origin + ": not a little-endian Level 5 MAT-file (no 'IM' at byte 126)");
        }
        MatFile reader = new MatFile(origin);
        Map<String, Object> vars = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(file, 128, file.length - 128).slice().order(ByteOrder.LITTLE_ENDIAN);
        reader.elements(b, vars);
        return vars;
    }

    private void elements(ByteBuffer b, Map<String, Object> vars) {
        while (b.remaining() >= 8) {
            int type = b.getInt();
            int size = b.getInt();
            if (size < 0 || size > b.remaining()) {
                throw new DataFormatException(origin + ": element of type " + type + " declares " + size
                        + " bytes but " + b.remaining() + " remain");
            }
            ByteBuffer data = slice(b, size);
            if (type == MI_COMPRESSED) {
                elements(ByteBuffer.wrap(inflate(data)).order(ByteOrder.LITTLE_ENDIAN), vars);
            } else if (type == MI_MATRIX) {
                Named m = matrix(data);
                vars.put(m.name, m.value);
                pad(b, size);
            } else {
                pad(b, size);
            }
        }
    }

    private record Named(String name, Object value) {
    }

    /** One miMATRIX body. */
    private Named matrix(ByteBuffer b) {
        if (!b.hasRemaining()) {
            return new Named("", new double[0]);
        }
        int[] flags = ints(element(b));
        int cls = flags[0] & 0xff;
        int[] dims = ints(element(b));
        String name = new String(bytes(element(b)), StandardCharsets.ISO_8859_1);
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        switch (cls) {
            case MX_STRUCT -> {
                int nameLength = ints(element(b))[0];
                byte[] names = bytes(element(b));
                List<String> fields = new ArrayList<>();
                for (int i = 0; i + nameLength <= names.length; i += nameLength) {
                    int end = i;
                    while (end < i + nameLength && names[end] != 0) {
                        end++;
                    }
                    fields.add(new String(names, i, end - i, StandardCharsets.ISO_8859_1));
                }
                List<Map<String, Object>> elements = new ArrayList<>();
                for (long e = 0; e < n; e++) {
                    Map<String, Object> element = new LinkedHashMap<>();
                    for (String f : fields) {
                        element.put(f, subMatrix(b));
                    }
                    elements.add(element);
                }
                return new Named(name, elements);
            }
            case MX_CELL -> {
                List<Object> cells = new ArrayList<>();
                for (long e = 0; e < n; e++) {
                    cells.add(subMatrix(b));
                }
                return new Named(name, cells);
            }
            case MX_CHAR -> {
                Element data = element(b);
                String s;
                if (data.type == MI_UTF8 || data.type == MI_UINT8 || data.type == MI_INT8) {
                    s = new String(bytes(data), StandardCharsets.UTF_8);
                } else if (data.type == MI_UINT16 || data.type == MI_UTF16) {
                    byte[] raw = bytes(data);
                    s = new String(raw, StandardCharsets.UTF_16LE);
                } else {
                    throw new DataFormatException(origin + ": char array '" + name + "' stored as type " + data.type);
                }
                // a char matrix is column-major; meta.mat holds 1 x n rows, so the order is the text's
                return new Named(name, dims.length == 2 && dims[0] > 1 ? columnMajorRows(s, dims[0]) : s);
            }
            default -> {
                if (cls < 6 || cls > 15) {
                    throw new DataFormatException(origin + ": array '" + name + "' has class " + cls
                            + ", which this reader does not read");
                }
                return new Named(name, numbers(element(b)));
            }
        }
    }

    private Object subMatrix(ByteBuffer b) {
        int type = b.getInt();
        int size = b.getInt();
        if (type != MI_MATRIX || size < 0 || size > b.remaining()) {
            throw new DataFormatException(origin + ": expected a miMATRIX element inside a struct or cell, found type "
                    + type + " of " + size + " bytes");
        }
        ByteBuffer data = slice(b, size);
        pad(b, size);
        return matrix(data).value;
    }

    private record Element(int type, ByteBuffer data) {
    }

    /** A data element in normal or small (4-byte) format, with its padding consumed. */
    private Element element(ByteBuffer b) {
        int first = b.getInt();
        if ((first >>> 16) != 0) {
            int size = first >>> 16;
            int type = first & 0xffff;
            ByteBuffer data = slice(b, size);
            b.position(b.position() + 4 - size);
            return new Element(type, data);
        }
        int size = b.getInt();
        if (size < 0 || size > b.remaining()) {
            throw new DataFormatException(origin + ": data element of type " + first + " declares " + size
                    + " bytes but " + b.remaining() + " remain");
        }
        ByteBuffer data = slice(b, size);
        pad(b, size);
        return new Element(first, data);
    }

    private static ByteBuffer slice(ByteBuffer b, int size) {
        ByteBuffer s = b.slice().limit(size).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + size);
        return s;
    }

    private static void pad(ByteBuffer b, int size) {
        int pad = (8 - size % 8) % 8;
        b.position(Math.min(b.limit(), b.position() + pad));
    }

    private static byte[] bytes(Element e) {
        byte[] out = new byte[e.data.remaining()];
        e.data.duplicate().get(out);
        return out;
    }

    private int[] ints(Element e) {
        double[] d = numbers(e);
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }

    private double[] numbers(Element e) {
        ByteBuffer d = e.data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int width = switch (e.type) {
            case MI_INT8, MI_UINT8 -> 1;
            case MI_INT16, MI_UINT16 -> 2;
            case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
            case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
            default -> throw new DataFormatException(origin + ": numeric data of type " + e.type + " is not read");
        };
        double[] out = new double[d.remaining() / width];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (e.type) {
                case MI_INT8 -> d.get();
                case MI_UINT8 -> d.get() & 0xff;
                case MI_INT16 -> d.getShort();
                case MI_UINT16 -> d.getShort() & 0xffff;
                case MI_INT32 -> d.getInt();
                case MI_UINT32 -> d.getInt() & 0xffffffffL;
                case MI_SINGLE -> d.getFloat();
                case MI_DOUBLE -> d.getDouble();
                default -> d.getLong();
            };
        }
        return out;
    }

    private static String columnMajorRows(String s, int rows) {
        int cols = s.length() / rows;
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            if (r > 0) {
                out.append('\n');
            }
            for (int c = 0; c < cols; c++) {
                out.append(s.charAt(c * rows + r));
            }
        }
        return out.toString();
    }

    private byte[] inflate(ByteBuffer compressed) {
        byte[] in = new byte[compressed.remaining()];
        compressed.get(in);
        Inflater inflater = new Inflater();
        inflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 4);
        byte[] buf = new byte[65536];
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
            }
        } catch (java.util.zip.DataFormatException e) {
            throw new DataFormatException(origin + ": a compressed element is not valid zlib data: " + e.getMessage());
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }

    /**
     * The ILSVRC2012_ID → WNID map of a devkit {@code meta.mat}: the {@code synsets} rows with
     * {@code num_children == 0}.
     */
    public static Map<Integer, String> ilsvrcSynsets(byte[] file, String origin) {
        Object synsets = read(file, origin).get("synsets");
        if (!(synsets instanceof List<?> rows)) {
            throw new DataFormatException(origin + ": has no struct array 'synsets'");
        }
        Map<Integer, String> out = new LinkedHashMap<>();
        for (Object o : rows) {
            if (!(o instanceof Map<?, ?> row) || !(row.get("ILSVRC2012_ID") instanceof double[] id)
                    || !(row.get("WNID") instanceof String wnid) || !(row.get("num_children") instanceof double[] kids)
                    || id.length != 1 || kids.length != 1) {
                throw new DataFormatException(origin + ": a 'synsets' row lacks ILSVRC2012_ID, WNID or num_children");
            }
            if (kids[0] == 0) {
                out.put((int) id[0], wnid.trim());
            }
        }
        return out;
    }

    /** MATLAB array class names, by class number (mxCELL_CLASS = 1 … mxUINT64_CLASS = 15). */
    private static final List<String> CLASS_NAMES = List.of("unknown", "cell", "struct", "object", "char",
            "sparse", "double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64");

    /** Receives the top-level variables of {@link #stream}, in file order. */
    @FunctionalInterface
    public interface VariableHandler {
        /** Called once per variable; may read the variable's values or leave them (they are then skipped). */
        void variable(Variable variable) throws IOException;
    }

    /**
     * A top-level variable met by {@link #stream}: its header, and for numeric arrays its real part as a stream
     * of values in MATLAB's column-major order, whatever the storage type (MATLAB stores a double array of small
     * integers as miUINT8, for example).
     */
    public static final class Variable {
        private final String origin;
        private final String name;
        private final int matlabClass;
        private final boolean complex;
        private final int[] dimensions;
        private final int type;
        private final long count;
        private final InputStream data;
        private long read;

        private Variable(String origin, String name, int matlabClass, boolean complex, int[] dimensions, int type,
                         long count, InputStream data) {
            this.origin = origin;
            this.name = name;
            this.matlabClass = matlabClass;
            this.complex = complex;
            this.dimensions = dimensions;
            this.type = type;
            this.count = count;
            this.data = data;
        }

        public String name() {
            return name;
        }

        /** MATLAB's class name: "uint8", "double", "cell", "char" … */
        public String className() {
            return matlabClass < CLASS_NAMES.size() ? CLASS_NAMES.get(matlabClass) : "class " + matlabClass;
        }

        /** A real or complex numeric array (classes double … uint64), not sparse. */
        public boolean numeric() {
            return matlabClass >= 6 && matlabClass <= 15;
        }

        public boolean complex() {
            return complex;
        }

        /** The dimensions, as stored (at least two; MATLAB drops trailing singleton dimensions beyond the second). */
        public int[] dimensions() {
            return dimensions.clone();
        }

        /** The number of values (the product of the dimensions). */
        public long count() {
            return count;
        }

        /**
         * The next {@code length} values as unsigned bytes; every value must be an integer in [0, 255]. Values of
         * a miUINT8-stored array are copied straight through.
         */
        public void readUint8(byte[] into, int offset, int length) throws IOException {
            requireNumeric(length);
            if (type == MI_UINT8) {
                readFully(data, into, offset, length, this);
                read += length;
                return;
            }
            for (int i = 0; i < length; i++) {
                double v = next();
                if (v != Math.rint(v) || v < 0 || v > 255) {
                    throw new DataFormatException(origin + ": value " + (read - 1) + " (column-major) of " + className()
                            + " array '" + name + "' is " + v + ", not an integer in [0, 255]");
                }
                into[offset + i] = (byte) (int) v;
            }
        }

        /** The next {@code length} values as doubles. */
        public double[] readDoubles(int length) throws IOException {
            requireNumeric(length);
            double[] out = new double[length];
            for (int i = 0; i < length; i++) {
                out[i] = next();
            }
            return out;
        }

        private void requireNumeric(int length) {
            if (!numeric()) {
                throw new DataFormatException(origin + ": '" + name + "' is a " + className()
                        + " array, not a numeric array");
            }
            if (length < 0 || read + length > count) {
                throw new IllegalArgumentException("reading " + length + " values at " + read + " of " + count);
            }
        }

        private final byte[] scratch = new byte[8];

        private double next() throws IOException {
            int width = width(type, origin);
            readFully(data, scratch, 0, width, this);
            read++;
            ByteBuffer b = ByteBuffer.wrap(scratch, 0, width).order(ByteOrder.LITTLE_ENDIAN);
            return switch (type) {
                case MI_INT8 -> b.get();
                case MI_UINT8 -> b.get() & 0xff;
                case MI_INT16 -> b.getShort();
                case MI_UINT16 -> b.getShort() & 0xffff;
                case MI_INT32 -> b.getInt();
                case MI_UINT32 -> b.getInt() & 0xffffffffL;
                case MI_SINGLE -> b.getFloat();
                case MI_DOUBLE -> b.getDouble();
                case MI_INT64 -> b.getLong();
                default -> {
                    long l = b.getLong();
                    yield l >= 0 ? (double) l : (double) (l >>> 1) * 2.0;
                }
            };
        }
    }

    private static int width(int type, String origin) {
        return switch (type) {
            case MI_INT8, MI_UINT8 -> 1;
            case MI_INT16, MI_UINT16 -> 2;
            case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
            case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
            default -> throw new DataFormatException(origin + ": numeric data of type " + type + " is not read");
        };
    }

    private static void readFully(InputStream in, byte[] into, int offset, int length, Variable v)
            throws IOException {
        if (in.readNBytes(into, offset, length) != length) {
            throw new DataFormatException(v.origin + ": ends inside the values of array '" + v.name + "' ("
                    + v.count + " values declared); the file is truncated");
        }
    }

    /**
     * Streams the top-level variables of a Level 5 MAT-file (compressed elements are inflated on the fly) to
     * {@code handler}; see the class description. {@code origin} names the file in error messages.
     */
    public static void stream(InputStream in, String origin, VariableHandler handler) throws IOException {
        byte[] header = in.readNBytes(128);
        if (header.length < 128) {
            throw new DataFormatException(origin + ": " + header.length + " bytes, shorter than a MAT-file header");
        }
        String text = new String(header, 0, 116, StandardCharsets.ISO_8859_1);
        if (text.startsWith("MATLAB 7.3")) {
            throw new DataFormatException(origin + ": a MATLAB 7.3 (HDF5) file, which this reader does not read; "
                    + "save it with -v7 (or scipy.io.savemat)");
        }
        if (header[126] == 'M' && header[127] == 'I') {
            throw new DataFormatException(origin + ": a big-endian MAT-file, which this reader does not read");
        }
        if (header[126] != 'I' || header[127] != 'M') {
            throw new DataFormatException(origin + ": not a Level 5 MAT-file (expected a 128-byte header, 'MATLAB 5.0 "
                    + "MAT-file …', with 'IM' at byte 126)");
        }
        MatFile reader = new MatFile(origin);
        long offset = 128;
        byte[] tag = new byte[8];
        while (true) {
            int n = in.readNBytes(tag, 0, 8);
            if (n == 0) {
                return;
            }
            if (n < 8) {
                throw new DataFormatException(origin + ": ends inside the tag of the element at byte " + offset);
            }
            ByteBuffer t = ByteBuffer.wrap(tag).order(ByteOrder.LITTLE_ENDIAN);
            int type = t.getInt();
            long size = t.getInt() & 0xffffffffL;
            Bounded body = new Bounded(in, size);
            if (type == MI_COMPRESSED) {
                Inflater inflater = new Inflater();
                // a truncated zlib stream ends in EOFException ("Unexpected end of ZLIB input stream")
                try {
                    InputStream inflated = new InflaterInputStream(body, inflater, 1 << 16);
                    byte[] inner = inflated.readNBytes(8);
                    if (inner.length == 8) {
                        ByteBuffer i = ByteBuffer.wrap(inner).order(ByteOrder.LITTLE_ENDIAN);
                        int innerType = i.getInt();
                        long innerSize = i.getInt() & 0xffffffffL;
                        if (innerType == MI_MATRIX) {
                            reader.streamMatrix(new Bounded(inflated, innerSize), offset, handler);
                        }
                    }
                } catch (java.util.zip.ZipException e) {
                    throw new DataFormatException(origin + ": the compressed element at byte " + offset
                            + " is not valid zlib data: " + e.getMessage());
                } catch (EOFException e) {
                    throw new DataFormatException(origin + ": the compressed element at byte " + offset
                            + " ends early (" + e.getMessage() + "); the file is truncated");
                } finally {
                    inflater.end();
                }
                body.skipRest(origin, offset);
                offset += 8 + size;
            } else {
                if (type == MI_MATRIX) {
                    reader.streamMatrix(body, offset, handler);
                }
                body.skipRest(origin, offset);
                long pad = (8 - size % 8) % 8;
                in.readNBytes((int) pad); // the last element's padding may be missing
                offset += 8 + size + pad;
            }
        }
    }

    /** One top-level miMATRIX body: header elements, then (numeric arrays) the real part to the handler. */
    private void streamMatrix(Bounded m, long offset, VariableHandler handler) throws IOException {
        if (m.remaining == 0) {
            return; // an empty array
        }
        String at = " (the array at byte " + offset + ")";
        Bounded flagsElement = streamElement(m, at, "array flags");
        byte[] flags = flagsElement.readNBytes(8);
        flagsElement.skipRest(origin, offset);
        if (flags.length < 4) {
            throw new DataFormatException(origin + ": array flags shorter than 4 bytes" + at);
        }
        int word = ByteBuffer.wrap(flags).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int cls = word & 0xff;
        boolean complex = (word & 0x0800) != 0;
        Bounded dimsElement = streamElement(m, at, "dimensions");
        byte[] dimBytes = dimsElement.readAllBytes();
        if (dimsElement.type != MI_INT32 || dimBytes.length < 8 || dimBytes.length % 4 != 0) {
            throw new DataFormatException(origin + ": the dimensions" + at + " are not two or more miINT32 values");
        }
        ByteBuffer d = ByteBuffer.wrap(dimBytes).order(ByteOrder.LITTLE_ENDIAN);
        int[] dims = new int[dimBytes.length / 4];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = d.getInt();
            if (dims[i] < 0) {
                throw new DataFormatException(origin + ": negative dimension " + dims[i] + at);
            }
            count *= dims[i];
        }
        Bounded nameElement = streamElement(m, at, "array name");
        String name = new String(nameElement.readAllBytes(), StandardCharsets.ISO_8859_1);
        if (cls < 6 || cls > 15) {
            handler.variable(new Variable(origin, name, cls, complex, dims, 0, count, InputStream.nullInputStream()));
            return;
        }
        Bounded real = streamElement(m, " (array '" + name + "' at byte " + offset + ")", "real part");
        int width = width(real.type, origin);
        if (real.remaining != count * width) {
            throw new DataFormatException(origin + ": " + CLASS_NAMES.get(cls) + " array '" + name + "' of dimensions "
                    + java.util.Arrays.toString(dims) + " holds " + real.remaining + " bytes of type " + real.type
                    + ", expected " + count + " values of " + width + " bytes");
        }
        handler.variable(new Variable(origin, name, cls, complex, dims, real.type, count, real));
    }

    /** The next data element of {@code m}, normal or small format, as a stream over its bytes (padding skipped after). */
    private Bounded streamElement(Bounded m, String at, String what) throws IOException {
        byte[] tag = m.readNBytes(4);
        if (tag.length < 4) {
            throw new DataFormatException(origin + ": ends before the " + what + at);
        }
        int first = ByteBuffer.wrap(tag).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if ((first >>> 16) != 0) {
            byte[] small = m.readNBytes(4);
            int size = first >>> 16;
            if (small.length < 4 || size > 4) {
                throw new DataFormatException(origin + ": a malformed small data element for the " + what + at);
            }
            Bounded b = new Bounded(new java.io.ByteArrayInputStream(small, 0, size), size);
            b.type = first & 0xffff;
            return b;
        }
        byte[] sizeBytes = m.readNBytes(4);
        if (sizeBytes.length < 4) {
            throw new DataFormatException(origin + ": ends inside the tag of the " + what + at);
        }
        long size = ByteBuffer.wrap(sizeBytes).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (size > m.remaining) {
            throw new DataFormatException(origin + ": the " + what + at + " declares " + size + " bytes but its array "
                    + "has " + m.remaining + " left");
        }
        long pad = (8 - size % 8) % 8;
        Bounded b = new Bounded(m, size) {
            @Override
            void skipRest(String origin, long offset) throws IOException {
                super.skipRest(origin, offset);
                m.skipNBytes(Math.min(pad, m.remaining));
            }
        };
        b.type = first;
        return b;
    }

    /** At most {@code remaining} bytes of a stream; the enclosing stream is never closed through it. */
    private static class Bounded extends FilterInputStream {
        long remaining;
        int type;

        Bounded(InputStream in, long size) {
            super(in);
            this.remaining = size;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return len == 0 ? 0 : -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(Math.min(n, remaining));
            if (s > 0) {
                remaining -= s;
            }
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), remaining);
        }

        @Override
        public void close() {
            // the enclosing stream stays open
        }

        /** Skips what the reader left of this element. */
        void skipRest(String origin, long offset) throws IOException {
            try {
                skipNBytes(remaining);
            } catch (EOFException e) {
                throw new DataFormatException(origin + ": ends inside the element at byte " + offset
                        + "; the file is truncated");
            }
        }
    }
}
