package io.protospark.io.npy;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of a NumPy {@code .npy} file (format versions 1.0, 2.0 and 3.0): the 6-byte magic
 * {@code \x93NUMPY}, major and minor version bytes, the little-endian header length (2 bytes in 1.0, 4 bytes in
 * 2.0 and 3.0), and the header itself, a Python dict literal with {@code 'descr'}, {@code 'fortran_order'} and
 * {@code 'shape'} (Latin-1, UTF-8 in 3.0). The array data start right after it, at {@link #dataOffset}.
 *
 * <p>The one reader of {@code .npy} headers for every module: it checks the structure (magic, version, header
 * length, the dict and its three keys, a simple dtype, a shape of non-negative integers) and throws an
 * {@link NpyFormatException} whose message starts with the file's name. What a caller then accepts (dtype, rank,
 * C order, the data's length) it checks itself, with its own message.
 *
 * <p>Only simple dtypes ({@code '|u1'}, {@code '<i8'}, ...) are understood; a structured dtype (a list descr)
 * is refused. Python 2 long suffixes in the shape ({@code 300000L}) are accepted.
 *
 * @param file         the file, for messages
 * @param major        format major version, 1 to 3
 * @param dataOffset   byte offset of the first array element
 * @param descr        the dtype string as written, e.g. {@code |u1}
 * @param kind         dtype kind: {@code u} unsigned, {@code i} signed, {@code f} float, ...
 * @param itemSize     bytes per element
 * @param order        byte order of multi-byte elements
 * @param fortranOrder whether the array is stored in Fortran (column-major) order
 * @param shape        the array's shape
 */
public record NpyHeader(String file, int major, long dataOffset, String descr, char kind, int itemSize,
                        ByteOrder order, boolean fortranOrder, long[] shape) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([a-zA-Z])(\\d+)'");
    private static final Pattern ANY_DESCR = Pattern.compile("'descr'\\s*:\\s*([^,]*)");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** Larger headers are not NumPy's (it writes a few hundred bytes at most, even for 32-d shapes). */
    private static final long MAX_HEADER = 1 << 20;

    /**
     * Reads the header from {@code in}, positioned at the file's first byte; leaves it at the data (it reads no
     * byte past the header). {@code file} names the file in messages.
     *
     * @throws NpyFormatException the bytes are not a {@code .npy} header this reader understands
     * @throws IOException        reading {@code in} failed
     */
    public static NpyHeader read(InputStream raw, String file) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        byte[] magic = new byte[MAGIC.length];
        try {
            in.readFully(magic);
        } catch (EOFException e) {
            throw new NpyFormatException(file + ": not a .npy file: shorter than the 6-byte magic \\x93NUMPY");
        }
        if (!Arrays.equals(magic, MAGIC)) {
            throw new NpyFormatException(file + ": not a .npy file: it starts with bytes " + hex(magic)
                    + ", expected the magic \\x93NUMPY (93 4e 55 4d 50 59)");
        }
        int major;
        long headerLen;
        int prefix;
        try {
            major = in.readUnsignedByte();
            int minor = in.readUnsignedByte();
            if (major < 1 || major > 3 || minor != 0) {
                throw new NpyFormatException(file + ": .npy format version " + major + "." + minor
                        + " is not supported (expected 1.0, 2.0 or 3.0)");
            }
            if (major == 1) {
                headerLen = in.readUnsignedByte() | (in.readUnsignedByte() << 8);
                prefix = 10;
            } else {
                headerLen = 0;
                for (int i = 0; i < 4; i++) {
                    headerLen |= (long) in.readUnsignedByte() << (8 * i);
                }
                prefix = 12;
            }
        } catch (EOFException e) {
            throw new NpyFormatException(file + ": .npy file ends inside its version and header length");
        }
        if (headerLen > MAX_HEADER) {
            throw new NpyFormatException(file + ": .npy header length " + headerLen + " bytes is implausible "
                    + "(corrupt file?)");
        }
        byte[] hb = new byte[(int) headerLen];
        try {
            in.readFully(hb);
        } catch (EOFException e) {
            throw new NpyFormatException(file + ": .npy file ends inside its " + headerLen + "-byte header");
        }
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
        Matcher d = DESCR.matcher(header);
        if (!d.find()) {
            Matcher any = ANY_DESCR.matcher(header);
            throw new NpyFormatException(file + ": .npy dtype " + (any.find() ? any.group(1).trim() : "(missing)")
                    + " is not a simple numeric dtype; header: " + header);
        }
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!f.find() || !s.find()) {
            throw new NpyFormatException(file + ": malformed .npy header (expected a dict with 'descr', "
                    + "'fortran_order' and 'shape'): " + header);
        }
        String descr = d.group(1) + d.group(2) + d.group(3);
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN
                : d.group(1).equals("=") ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN;
        int itemSize;
        try {
            itemSize = Integer.parseInt(d.group(3));
        } catch (NumberFormatException e) {
            throw new NpyFormatException(file + ": .npy dtype '" + descr + "' has an unreadable item size");
        }
        String[] parts = s.group(1).split(",");
        long[] dims = new long[parts.length];
        int n = 0;
        for (String part : parts) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            if (p.endsWith("L") || p.endsWith("l")) {
                p = p.substring(0, p.length() - 1);
            }
            try {
                dims[n] = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new NpyFormatException(file + ": .npy shape (" + s.group(1).trim() + ") is not a tuple of "
                        + "integers");
            }
            if (dims[n] < 0) {
                throw new NpyFormatException(file + ": .npy shape (" + s.group(1).trim() + ") has a negative "
                        + "dimension");
            }
            n++;
        }
        return new NpyHeader(file, major, prefix + headerLen, descr, d.group(2).charAt(0), itemSize, order,
                f.group(1).equals("True"), Arrays.copyOf(dims, n));
    }

    /** Number of elements, or -1 when it overflows a long. */
    public long count() {
        long c = 1;
        for (long x : shape) {
            try {
                c = Math.multiplyExact(c, x);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return c;
    }

    /** Bytes of array data the header declares, or -1 when that overflows a long. */
    public long dataBytes() {
        long c = count();
        if (c < 0) {
            return -1;
        }
        try {
            return Math.multiplyExact(c, (long) itemSize);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** The shape as Python prints it: {@code (300000, 32, 32, 3)}, {@code (5,)}. */
    public String shapeString() {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            s.append(i > 0 ? " " : "").append(String.format("%02x", b[i] & 0xff));
        }
        return s.toString();
    }
}
