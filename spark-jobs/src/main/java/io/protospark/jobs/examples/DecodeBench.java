package io.protospark.jobs.examples;

import io.protospark.data.image.ImageDecoder;

import java.awt.image.BufferedImage;
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
 * flip) or the evaluation one ({@code eval}: shorter side to RESIZE, centre SIZE x SIZE crop), into uint8 CHW.
 *
 * <pre>java -cp protospark-job.jar io.protospark.jobs.examples.DecodeBench DIR train|eval SIZE [RESIZE]</pre>
 */
public final class DecodeBench {
    private DecodeBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || !List.of("train", "eval").contains(args[1])) {
            System.err.println("usage: DecodeBench DIR train|eval SIZE [RESIZE]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        boolean train = args[1].equals("train");
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
            one(files.get(i), train, size, resize, random, out);
        }
        long start = System.nanoTime();
        for (Path f : files) {
            one(f, train, size, resize, random, out);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "protospark %s: %d images in %.2f s = %.1f images/s on one core%n", args[1],
                files.size(), secs, files.size() / secs);
    }

    private static void one(Path file, boolean train, int size, int resize, Random random, byte[] out)
            throws IOException {
        BufferedImage img = ImageDecoder.decodeImage(Files.readAllBytes(file));
        if (train) {
            int[] b = RandomResizedCrop.DEFAULT.box(img.getHeight(), img.getWidth(), RandomResizedCrop.of(random));
            ImageDecoder.cropResize(img, b[0], b[1], b[2], b[3], size, size, random.nextBoolean(), out);
        } else {
            BufferedImage r = ImageDecoder.shorterSide(img, resize);
            int[] b = ImagePipeline.centreBox(r.getHeight(), r.getWidth(), size, size);
            ImageDecoder.cropResize(r, b[0], b[1], b[2], b[3], size, size, false, out);
        }
    }
}
