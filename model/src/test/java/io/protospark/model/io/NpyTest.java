package io.protospark.model.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {

    @Test
    void headerIsByteForByteWhatNumpyWrites() throws IOException {
        // np.save(f, np.arange(6, dtype='<f8').reshape(3, 2)) writes a 128-byte header (length field 0x76 = 118).
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.writeMatrix(out, new double[][]{{0, 1}, {2, 3}, {4, 5}});
        byte[] bytes = out.toByteArray();
        assertEquals(128 + 6 * 8, bytes.length);
        assertEquals(0x76, bytes[8]);
        assertEquals(0, bytes[9]);
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
        String header = new String(bytes, 10, 118, StandardCharsets.US_ASCII);
        assertEquals(dict + " ".repeat(118 - dict.length() - 1) + "\n", header);
        assertEquals(0x3ff0000000000000L, java.nio.ByteBuffer.wrap(bytes, 136, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(), "second element is 1.0 little-endian");
    }

    @Test
    void matrixAndVectorRoundTrip() throws IOException {
        double[][] m = {{0.5, -1.25, Math.PI}, {1e-300, -0.0, 7}};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.writeMatrix(out, m);
        double[][] back = Npy.readMatrix(new ByteArrayInputStream(out.toByteArray()), "m.npy");
        assertTrue(Arrays.deepEquals(m, back));

        int[] v = {3, 0, 2, 1};
        out.reset();
        Npy.writeIntVector(out, v);
        assertArrayEquals(v, Npy.readIntVector(new ByteArrayInputStream(out.toByteArray()), "v.npy"));
    }

    @Test
    void refusesTruncatedAndForeignFiles() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.writeMatrix(out, new double[][]{{1, 2}, {3, 4}});
        byte[] cut = Arrays.copyOf(out.toByteArray(), out.size() - 3);
        IOException e = assertThrows(IOException.class,
                () -> Npy.readMatrix(new ByteArrayInputStream(cut), "p.npy"));
        assertEquals("p.npy: shape [2, 2] of <f8 needs 32 data bytes, file has 29", e.getMessage());
        IOException f = assertThrows(IOException.class,
                () -> Npy.readMatrix(new ByteArrayInputStream("hello world".getBytes()), "x.npy"));
        assertTrue(f.getMessage().startsWith("x.npy: not a .npy file"), f.getMessage());
    }
}
