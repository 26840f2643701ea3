package io.protospark.jobs.examples;

import java.io.Serializable;

/**
 * How uint8 CHW pixels become network input: scaled to [0, 1], optionally normalised per channel, and for training
 * optionally augmented (the CIFAR recipe of the seeds: a random crop of the zero-padded image and a random
 * horizontal flip, and optionally random erasing, drawn per example from a generator seeded by the run seed, epoch and
 * partition).
 *
 * @param mean  per-channel mean, or empty
 * @param std   per-channel standard deviation, or empty
 * @param erase random erasing, applied after the crop, flip and normalisation
 */
public record Decoding(int channels, int height, int width, float[] mean, float[] std, int cropPadding, boolean flip,
                       Erasing erase) implements Serializable {
    public Decoding {
        if (erase == null) {
            throw new IllegalArgumentException("erase is null; use Erasing.NONE");
        }
    }

    /** Crop and flip only, no erasing. */
    public Decoding(int channels, int height, int width, float[] mean, float[] std, int cropPadding, boolean flip) {
        this(channels, height, width, mean, std, cropPadding, flip, Erasing.NONE);
    }

    /** Plain decoding: pixels / 255, nothing else. */
    public static Decoding plain(int channels, int height, int width) {
        return new Decoding(channels, height, width, new float[0], new float[0], 0, false);
    }

    /** The same normalisation without augmentation (evaluation, class memory). */
    public Decoding withoutAugmentation() {
        return new Decoding(channels, height, width, mean, std, 0, false);
    }

    public boolean augments() {
        return cropPadding > 0 || flip || erase.on();
    }
}
