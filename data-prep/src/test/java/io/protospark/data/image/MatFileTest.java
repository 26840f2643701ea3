package io.protospark.data.image;

import io.protospark.data.io.DataFormatException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** meta.mat files laid out like the ILSVRC-2012 devkit's, written by scipy ({@code imagenet/make_meta.py}). */
class MatFileTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = MatFileTest.class.getResourceAsStream("/imagenet/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void streamHandsOverNonNumericVariablesAndSkipsThem() throws IOException {
        for (String name : List.of("meta.mat", "meta-uncompressed.mat")) {
            List<String> seen = new java.util.ArrayList<>();
            MatFile.stream(new java.io.ByteArrayInputStream(resource(name)), name, v -> {
                seen.add(v.name() + ":" + v.className() + ":" + v.numeric() + ":"
                        + java.util.Arrays.toString(v.dimensions()));
                DataFormatException e = assertThrows(DataFormatException.class, () -> v.readDoubles(1));
                assertTrue(e.getMessage().contains(name) && e.getMessage().contains("'synsets' is a struct array"),
                        e.getMessage());
            });
            assertEquals(List.of("synsets:struct:false:[4, 1]"), seen, name);
        }
    }

    @Test
    void compressedAndUncompressedSynsets() throws IOException {
        for (String name : List.of("meta.mat", "meta-uncompressed.mat")) {
            Map<Integer, String> m = MatFile.ilsvrcSynsets(resource(name), name);
            assertEquals(Map.of(1, "n02119789", 2, "n01440764", 3, "n09999999"), m, name);

            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rows = (List<Map<String, Object>>) MatFile.read(resource(name), name)
                    .get("synsets");
            assertEquals(4, rows.size());
            assertEquals("tench, Tinca tinca", rows.get(1).get("words"));
            assertArrayEquals(new double[]{1, 2}, (double[]) rows.get(3).get("children"));
            assertArrayEquals(new double[]{1300}, (double[]) rows.get(0).get("num_train_images"));
        }
    }

    @Test
    void notAMatFile() {
        byte[] junk = new byte[200];
        String msg = assertThrows(DataFormatException.class, () -> MatFile.read(junk, "x.mat")).getMessage();
        assertTrue(msg.contains("x.mat") && msg.contains("IM"), msg);
        byte[] v73 = new byte[200];
        System.arraycopy("MATLAB 7.3 MAT-file".getBytes(), 0, v73, 0, 19);
        assertTrue(assertThrows(DataFormatException.class, () -> MatFile.read(v73, "y.mat")).getMessage()
                .contains("HDF5"));
    }
}
