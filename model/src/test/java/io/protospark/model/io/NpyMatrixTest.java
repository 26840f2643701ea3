package io.protospark.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming flat-array reader against files written by {@link Npy}, and its refusals. */
class NpyMatrixTest {
    @TempDir
    Path tmp;

    @Test
    void readsWhatNpyWritesAsDoublesAndFloats() throws Exception {
        double[][] m = {{1.5, -2, 3}, {4, 5e-3, Double.MAX_VALUE}};
        Path f = tmp.resolve("m.npy");
        try (OutputStream o = Files.newOutputStream(f)) {
            Npy.writeMatrix(o, m);
        }
        NpyMatrix d = NpyMatrix.readDoubles(f);
        assertEquals(2, d.rows());
        assertEquals(3, d.cols());
        assertEquals("<f8", d.dtype());
        assertArrayEquals(new double[] {1.5, -2, 3, 4, 5e-3, Double.MAX_VALUE}, d.doubles());
        float[] fl = NpyMatrix.readFloats(f).floats();
        assertEquals(5e-3f, fl[4]);
        assertEquals(Float.POSITIVE_INFINITY, fl[5]);
    }

    @Test
    void largeMatrixCrossesTheReadBuffer() throws Exception {
        double[][] m = new double[300][1000];
        for (int i = 0; i < 300; i++) {
            Arrays.fill(m[i], i);
        }
        Path f = tmp.resolve("big.npy");
        try (OutputStream o = Files.newOutputStream(f)) {
            Npy.writeMatrix(o, m);
        }
        double[] v = NpyMatrix.readDoubles(f).doubles();
        assertEquals(300_000, v.length);
        assertEquals(299, v[v.length - 1]);
        assertEquals(131, v[131_000]);
    }

    @Test
    void readsAStreamHoldingExactlyOneMatrix() throws Exception {
        double[][] m = new double[300][1000];
        for (int i = 0; i < 300; i++) {
            Arrays.fill(m[i], i + 0.25);
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        Npy.writeMatrix(b, m);
        byte[] bytes = b.toByteArray();
        NpyMatrix d = NpyMatrix.readDoubles(new java.io.ByteArrayInputStream(bytes), "hdfs://nn/t.npy");
        assertEquals(300, d.rows());
        assertEquals(299.25, d.doubles()[d.doubles().length - 1]);
        IOException shortBy = assertThrows(IOException.class, () -> NpyMatrix.readDoubles(
                new java.io.ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length - 8)), "hdfs://nn/t.npy"));
        assertTrue(shortBy.getMessage().startsWith("hdfs://nn/t.npy: file ends inside its data"),
                shortBy.getMessage());
        IOException longBy = assertThrows(IOException.class, () -> NpyMatrix.readDoubles(
                new java.io.ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length + 1)), "hdfs://nn/t.npy"));
        assertTrue(longBy.getMessage().startsWith("hdfs://nn/t.npy: more bytes follow"), longBy.getMessage());
    }

    @Test
    void refusalsNameTheFile() throws Exception {
        Path vec = tmp.resolve("vec.npy");
        try (OutputStream o = Files.newOutputStream(vec)) {
            Npy.writeIntVector(o, new int[] {1, 2, 3});
        }
        IOException e = assertThrows(IOException.class, () -> NpyMatrix.readDoubles(vec));
        assertTrue(e.getMessage().contains("vec.npy: expected a 2-d matrix"), e.getMessage());
        Path cut = tmp.resolve("cut.npy");
        byte[] whole;
        Path full = tmp.resolve("full.npy");
        try (OutputStream o = Files.newOutputStream(full)) {
            Npy.writeMatrix(o, new double[][] {{1, 2}, {3, 4}});
        }
        whole = Files.readAllBytes(full);
        Files.write(cut, Arrays.copyOf(whole, whole.length - 3));
        e = assertThrows(IOException.class, () -> NpyMatrix.readDoubles(cut));
        assertTrue(e.getMessage().contains("cut.npy: shape (2, 2) of <f8 needs 32 data bytes, file has 29"),
                e.getMessage());
        e = assertThrows(IOException.class, () -> NpyMatrix.readDoubles(tmp.resolve("none.npy")));
        assertTrue(e.getMessage().contains("none.npy: no such file"), e.getMessage());
    }
}
