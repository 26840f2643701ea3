package io.protospark.jobs.examples;

import java.io.Serializable;

/**
 * One example: label and uint8 pixels (CHW), as read from the Parquet shards; for a data set of encoded images,
 * {@code pixels} holds the image file's bytes.
 */
public record Example(int label, byte[] pixels) implements Serializable {
    /**
     * A 64-bit hash of seed, epoch, label and content: FNV-1a over the bytes, finished by SplitMix64's mixer. It orders
     * each epoch's examples ({@code ExampleRdds.shuffle}) and seeds the augmentation of an encoded image, so both depend
     * on the example and the seeds alone, not on where or when the example is processed.
     */
    public static long key(long seed, int epoch, Example e) {
        long h = 0xcbf29ce484222325L ^ mix(seed * 0x9E3779B97F4A7C15L + epoch);
        byte[] p = e.pixels();
        for (byte b : p) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ e.label()) * 0x100000001b3L;
        return mix(h ^ p.length);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
