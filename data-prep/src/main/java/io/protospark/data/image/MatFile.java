package io.protospark.data.image;

import io.protospark.data.DataFormatException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Inflater;

/**
 * A minimal reader of MATLAB Level 5 MAT-files (MathWorks, "MAT-File Format", version 5/7, little-endian,
 * compressed or not): enough to read the ILSVRC-2012 devkit's {@code meta.mat}. Numeric arrays become
 * {@code double[]} (column-major), char arrays {@code String}, struct arrays {@code List<Map<String, Object>>}
 * (one map per element, column-major), cell arrays {@code List<Object>}. MATLAB 7.3 files (HDF5) are not read.
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
}
