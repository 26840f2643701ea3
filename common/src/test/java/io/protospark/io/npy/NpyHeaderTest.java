package io.protospark.io.npy;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Headers written as {@code np.save} writes them (dict padded to a multiple of 64 bytes), and the refusals. */
class NpyHeaderTest {

    /** Magic, version {@code major}.0, little-endian length, then {@code dict} padded with spaces and a newline. */
    static byte[] header(int major, String dict) {
        int prefix = major == 1 ? 10 : 12;
        int pad = (64 - (prefix + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(prefix + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        return b.put(text).array();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape
                + ", }";
    }

    private static NpyFormatException refused(byte[] bytes, String name) {
        return assertThrows(NpyFormatException.class, () -> NpyHeader.read(new ByteArrayInputStream(bytes), name));
    }

    @Test
    void readsVersionOneAndStopsAtTheData() throws IOException {
        byte[] h = header(1, dict("|u1", false, "(300000, 32, 32, 3)"));
        byte[] file = Arrays.copyOf(h, h.length + 5);
        file[h.length] = 42;
        ByteArrayInputStream in = new ByteArrayInputStream(file);
        NpyHeader n = NpyHeader.read(in, "img.npy");
        assertEquals(128, n.dataOffset());
        assertEquals(h.length, n.dataOffset());
        assertEquals(1, n.major());
        assertEquals("|u1", n.descr());
        assertEquals('u', n.kind());
        assertEquals(1, n.itemSize());
        assertFalse(n.fortranOrder());
        assertArrayEquals(new long[] {300000, 32, 32, 3}, n.shape());
        assertEquals("(300000, 32, 32, 3)", n.shapeString());
        assertEquals(300000L * 32 * 32 * 3, n.dataBytes());
        assertEquals(42, in.read(), "the stream is left at the first data byte");
    }

    @Test
    void readsVersionsTwoAndThreeByteOrderAndPythonTwoLongs() throws IOException {
        NpyHeader v2 = NpyHeader.read(new ByteArrayInputStream(header(2, dict(">f4", true, "(5,)"))), "v.npy");
        assertEquals(2, v2.major());
        assertEquals(ByteOrder.BIG_ENDIAN, v2.order());
        assertTrue(v2.fortranOrder());
        assertEquals("(5,)", v2.shapeString());
        assertEquals(20, v2.dataBytes());
        NpyHeader v3 = NpyHeader.read(new ByteArrayInputStream(header(3, dict("<i8", false, "(4L, 2L)"))), "l.npy");
        assertEquals(ByteOrder.LITTLE_ENDIAN, v3.order());
        assertArrayEquals(new long[] {4, 2}, v3.shape());
        NpyHeader scalar = NpyHeader.read(new ByteArrayInputStream(header(1, dict("<f8", false, "()"))), "s.npy");
        assertEquals(0, scalar.shape().length);
        assertEquals(1, scalar.count());
    }

    @Test
    void refusalsNameTheFileAndWhatIsWrong() {
        assertEquals("t.npy: not a .npy file: shorter than the 6-byte magic \\x93NUMPY",
                refused(new byte[] {(byte) 0x93, 'N'}, "t.npy").getMessage());
        assertEquals("x.npy: not a .npy file: it starts with bytes 68 65 6c 6c 6f 20, expected the magic \\x93NUMPY "
                + "(93 4e 55 4d 50 59)", refused("hello world".getBytes(StandardCharsets.US_ASCII), "x.npy").getMessage());
        byte[] v4 = header(1, dict("|u1", false, "(2,)"));
        v4[6] = 4;
        assertEquals("v4.npy: .npy format version 4.0 is not supported (expected 1.0, 2.0 or 3.0)",
                refused(v4, "v4.npy").getMessage());
        byte[] whole = header(1, dict("|u1", false, "(2,)"));
        assertEquals("c.npy: .npy file ends inside its version and header length",
                refused(Arrays.copyOf(whole, 8), "c.npy").getMessage());
        assertEquals("h.npy: .npy file ends inside its 118-byte header",
                refused(Arrays.copyOf(whole, 40), "h.npy").getMessage());
        assertTrue(refused(header(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }"), "r.npy")
                .getMessage().startsWith("r.npy: .npy dtype [('a' is not a simple numeric dtype"));
        assertTrue(refused(header(1, "{'descr': '<i4', 'shape': (2,), }"), "m.npy").getMessage()
                .startsWith("m.npy: malformed .npy header (expected a dict with 'descr', 'fortran_order' and 'shape')"));
        assertEquals("n.npy: .npy shape (2, -1) has a negative dimension",
                refused(header(1, dict("<i4", false, "(2, -1)")), "n.npy").getMessage());
        assertEquals("q.npy: .npy shape (2, x) is not a tuple of integers",
                refused(header(1, dict("<i4", false, "(2, x)")), "q.npy").getMessage());
        byte[] huge = header(2, dict("<i4", false, "(2,)"));
        huge[11] = 0x7f;
        assertTrue(refused(huge, "g.npy").getMessage().startsWith("g.npy: .npy header length "));
    }
}
