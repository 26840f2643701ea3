package io.protospark.jobs.examples;

import io.protospark.data.image.ImageDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Decode + crop throughput of encoded images on one thread, as training does it per image (benchmark tooling, run by
 * {@code bench/decode.sh}; not a command): every {@code *.jpg} under a folder read from disk, decoded with ImageIO,
 * then either the training transform ({@code train}: {@link RandomResizedCrop} box scaled to SIZE x SIZE, random
 * flip) or the evaluation one ({@code eval}: shorter side to RESIZE, centre SIZE x SIZE crop), into uint8 CHW;
 * {@code decode} only decodes.
 *
 * <pre>java -cp protospark-job.jar io.protospark.jobs.examples.DecodeBench DIR train|eval|decode SIZE [RESIZE]</pre>
 */
public final class DecodeBench {
    private DecodeBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || !List.of("train", "eval", "decode").contains(args[1])) {
            System.err.println("usage: DecodeBench DIR train|eval|decode SIZE [RESIZE]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String mode = args[1];
        int size = Integer.parseInt(args[2]);
        int resize = args.length > 3 ? Integer.parseInt(args[3]) : size;
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no *.jpg under " + dir);
        }
        byte[] out = new byte[3 * size * size];
        Random random = new Random(1);
        // warm-up: the JIT compiles the decode and resampling loops
        for (int i = 0; i < Math.min(100, files.size()); i++) {
            one(files.get(i), mode, size, resize, random, out);
        }
        long start = System.nanoTime();
        for (Path f : files) {
            one(f, mode, size, resize, random, out);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "protospark %s: %d images in %.2f s = %.1f images/s on one core%n", args[1],
                files.size(), secs, files.size() / secs);
    }

    private static void one(Path file, String mode, int size, int resize, Random random, byte[] out)
            throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Decoding d = new Decoding(3, size, size, new float[0], new float[0], 0, true);
        switch (mode) {
            case "decode" -> ImageDecoder.decodeImage(bytes);
            // what training runs per image (Minibatches.encodedArrays), without the float conversion
            case "train" -> Minibatches.randomCrop(bytes, RandomResizedCrop.DEFAULT, random, d, out);
            default -> Minibatches.centreCrop(bytes, resize, false, d, out);
        }
    }
}
