package io.protospark.data.cifar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes tiny CIFAR-10 / CIFAR-100 binary folders byte for byte, with labels and pixels computable from the id. */
public final class CifarTestFiles {
    public static final List<String> CIFAR10_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");

    private CifarTestFiles() {
    }

    /** The fine label of record {@code id} of {@code split}. */
    public static int label(String split, int id, int classes) {
        return (id * 7 + (split.equals("train") ? 3 : 5)) % classes;
    }

    /** The coarse label of record {@code id} (CIFAR-100). */
    public static int coarse(String split, int id) {
        return (id * 3 + (split.equals("train") ? 1 : 2)) % 20;
    }

    /** Pixel byte {@code p} (CHW offset) of record {@code id} of {@code split}. */
    public static byte pixel(String split, int id, int p) {
        return (byte) (id * 31 + p * 7 + (split.equals("train") ? 0 : 101) + p / 1024 * 13);
    }

    public static byte[] pixels(String split, int id) {
        byte[] b = new byte[3072];
        for (int p = 0; p < b.length; p++) {
            b[p] = pixel(split, id, p);
        }
        return b;
    }

    /** CIFAR-100's pixels of record {@code id}: different from CIFAR-10's of the same id. */
    public static byte[] pixels100(String split, int id) {
        byte[] b = pixels(split, id);
        for (int p = 0; p < b.length; p++) {
            b[p] += 57;
        }
        return b;
    }

    /** A CIFAR-10 folder: 5 train batches of {@code perBatch} records and a test batch of {@code test}. */
    public static Path cifar10(Path dir, int perBatch, int test) throws IOException {
        Files.createDirectories(dir);
        for (int b = 0; b < 5; b++) {
            Files.write(dir.resolve("data_batch_" + (b + 1) + ".bin"), records10("train", b * perBatch, perBatch));
        }
        Files.write(dir.resolve("test_batch.bin"), records10("test", 0, test));
        // the real file ends with blank lines
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", CIFAR10_NAMES) + "\n\n");
        return dir;
    }

    private static byte[] records10(String split, int first, int n) {
        byte[] out = new byte[n * 3073];
        for (int r = 0; r < n; r++) {
            out[r * 3073] = (byte) label(split, first + r, 10);
            System.arraycopy(pixels(split, first + r), 0, out, r * 3073 + 1, 3072);
        }
        return out;
    }

    /** A CIFAR-100 folder with {@code train} and {@code test} records. */
    public static Path cifar100(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train.bin"), records100("train", train));
        Files.write(dir.resolve("test.bin"), records100("test", test));
        Files.writeString(dir.resolve("fine_label_names.txt"), String.join("\n", names("fine", 100)) + "\n");
        Files.writeString(dir.resolve("coarse_label_names.txt"), String.join("\n", names("coarse", 20)) + "\n");
        return dir;
    }

    public static List<String> names(String prefix, int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(prefix + "_" + i);
        }
        return names;
    }

    private static byte[] records100(String split, int n) {
        byte[] out = new byte[n * 3074];
        for (int r = 0; r < n; r++) {
            out[r * 3074] = (byte) coarse(split, r);
            out[r * 3074 + 1] = (byte) label(split, r, 100);
            System.arraycopy(pixels100(split, r), 0, out, r * 3074 + 2, 3072);
        }
        return out;
    }
}
