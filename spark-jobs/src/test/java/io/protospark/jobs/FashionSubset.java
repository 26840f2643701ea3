package io.protospark.jobs;

import io.protospark.data.idx.IdxData;
import io.protospark.data.idx.IdxReader;
import io.protospark.data.idx.IdxSource;
import org.apache.hadoop.conf.Configuration;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a small IDX data set for tests: the first examples of the real Fashion-MNIST when the Debian package
 * {@code dataset-fashion-mnist} is installed (CI installs it), otherwise synthetic class-dependent images.
 */
public final class FashionSubset {
    static final Path REAL = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionSubset() {
    }

    public static boolean realAvailable() {
        return Files.isDirectory(REAL);
    }

    /** Writes train-* and t10k-* IDX files (raw) with {@code train} and {@code test} examples into {@code dir}. */
    public static Path write(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        if (realAvailable()) {
            IdxSource src = IdxSource.find(REAL.toUri(), new Configuration());
            for (IdxSource.Split s : src.splits()) {
                IdxData d = IdxReader.read(s.images(), s.labels(), 10, new Configuration());
                int n = s.name().equals("train") ? train : test;
                byte[][] images = new byte[n][];
                int[] labels = new int[n];
                for (int i = 0; i < n; i++) {
                    images[i] = d.image(i);
                    labels[i] = d.label(i);
                }
                writeSplit(dir, s.name().equals("train") ? "train" : "t10k", images, labels, 28, 28);
            }
        } else {
            writeSynthetic(dir, "train", train, 1);
            writeSynthetic(dir, "t10k", test, 2);
        }
        return dir;
    }

    private static void writeSynthetic(Path dir, String prefix, int n, long seed) throws IOException {
        Random rnd = new Random(seed);
        byte[][] images = new byte[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            byte[] img = new byte[784];
            for (int p = 0; p < 784; p++) {
                int row = p / 28;
                boolean on = row >= label * 2 + 2 && row < label * 2 + 6;
                img[p] = (byte) Math.min(255, (on ? 200 : 20) + rnd.nextInt(40));
            }
            images[i] = img;
            labels[i] = label;
        }
        writeSplit(dir, prefix, images, labels, 28, 28);
    }

    static void writeSplit(Path dir, String prefix, byte[][] images, int[] labels, int h, int w) throws IOException {
        try (OutputStream f = Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte"));
             DataOutputStream out = new DataOutputStream(f)) {
            out.writeInt(0x00000803);
            out.writeInt(images.length);
            out.writeInt(h);
            out.writeInt(w);
            for (byte[] img : images) {
                out.write(img);
            }
        }
        try (OutputStream f = Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte"));
             DataOutputStream out = new DataOutputStream(f)) {
            out.writeInt(0x00000801);
            out.writeInt(labels.length);
            for (int l : labels) {
                out.writeByte(l);
            }
        }
    }
}
