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
 * <p>Data sets of encoded images ({@code prepare.store = encoded}) carry an {@link ImagePipeline}: each example is
 * decoded and cropped to {@code height x width} first (a random resized crop in training, the evaluation centre crop
 * otherwise), drawn per example from the epoch's seed and the example's content ({@link Example#key}), then flipped,
 * normalised and erased as above.
 *
 * @param erase  random erasing, applied after the crop, flip and normalisation
 * @param images how encoded images are decoded and cropped; null for data sets of decoded pixels
 */
public record Decoding(int channels, int height, int width, float[] mean, float[] std, int cropPadding, boolean flip,
                       Erasing erase, ImagePipeline images) implements Serializable {
    public Decoding {
        if (erase == null) {
            throw new IllegalArgumentException("erase is null; use Erasing.NONE");
        }
        if (images != null && cropPadding > 0) {
            throw new IllegalArgumentException("the padded random crop (crop-padding " + cropPadding + ") is for "
                    + "decoded pixels; encoded images take the random resized crop");
        }
    }

    /** Decoded pixels, with erasing. */
    public Decoding(int channels, int height, int width, float[] mean, float[] std, int cropPadding, boolean flip,
                    Erasing erase) {
        this(channels, height, width, mean, std, cropPadding, flip, erase, null);
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
        return new Decoding(channels, height, width, mean, std, 0, false, Erasing.NONE,
                images == null ? null : images.forEvaluation());
    }

    /** The same decoding for a data set of encoded images ({@code images} not null) or of pixels (null). */
    public Decoding withImages(ImagePipeline images) {
        return new Decoding(channels, height, width, mean, std, cropPadding, flip, erase, images);
    }

    public boolean augments() {
        return cropPadding > 0 || flip || erase.on() || (images != null && images.crop() != null);
    }

    /** Whether the examples are encoded images. */
    public boolean encoded() {
        return images != null;
    }
}
