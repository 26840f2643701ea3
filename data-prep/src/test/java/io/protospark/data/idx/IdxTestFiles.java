package io.protospark.data.idx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files byte for byte (the MNIST IDX layout) with known, deterministic content. */
public final class IdxTestFiles {
    private IdxTestFiles() {
    }

    /** Pixel {@code p} of image {@code i}: a deterministic pattern that differs between images. */
    public static byte pixel(int i, int p) {
        return (byte) (i * 31 + p * 7 + (i * p) % 13);
    }

    /** Label of example {@code i}: every class occurs, in unequal numbers. */
    public static int label(int i, int classes) {
        return (i * 7 + i / 3) % classes;
    }

    /** The bytes of an image file: magic 0x00000803, dims (n, h, w), then the pixels. */
    public static byte[] images(int n, int h, int w) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * h * w);
        b.putInt(0x00000803).putInt(n).putInt(h).putInt(w);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < h * w; p++) {
                b.put(pixel(i, p));
            }
        }
        return b.array();
    }

    /** The bytes of a label file: magic 0x00000801, dim (n), then {@link #label} for each example. */
    public static byte[] labels(int n, int classes) {
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.putInt(0x00000801).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) label(i, classes));
        }
        return b.array();
    }

    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the four files of an MNIST-style data set into {@code dir}: train files gzip-compressed with
     * {@code .gz}, test files raw, images h x w.
     */
    public static Path dataset(Path dir, int train, int test, int h, int w, int classes) {
        write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(images(train, h, w)));
        write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labels(train, classes)));
        write(dir.resolve("t10k-images-idx3-ubyte"), images(test, h, w));
        write(dir.resolve("t10k-labels-idx1-ubyte"), labels(test, classes));
        return dir;
    }
}
