package io.protospark.data.source;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The images of one split held in memory on the driver (CIFAR- and MNIST-sized data: 50 000 32x32x3 images are
 * 154 MB): uint8 pixels in CHW order, one label per image and optionally a second, coarse label (CIFAR-100).
 * Record {@code i} has id {@code i}, its index in the split's source files.
 */
public final class ImageArrays implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int height;
    private final int width;
    private final int channels;
    private final byte[] pixels;
    private final int[] labels;
    private final int[] coarseLabels;

    /**
     * @param pixels       count * height * width * channels bytes, CHW per image
     * @param labels       one label per image
     * @param coarseLabels one coarse label per image, or {@code null}
     */
    public ImageArrays(int height, int width, int channels, byte[] pixels, int[] labels, int[] coarseLabels) {
        if ((long) labels.length * height * width * channels != pixels.length) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " bytes, expected " + labels.length
                    + " x " + height + " x " + width + " x " + channels);
        }
        if (coarseLabels != null && coarseLabels.length != labels.length) {
            throw new IllegalArgumentException(coarseLabels.length + " coarse labels for " + labels.length
                    + " images");
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.pixels = pixels;
        this.labels = labels;
        this.coarseLabels = coarseLabels;
    }

    public int count() {
        return labels.length;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channels() {
        return channels;
    }

    /** Bytes per image. */
    public int imageBytes() {
        return height * width * channels;
    }

    public int label(int i) {
        return labels[i];
    }

    /** A copy of all labels. */
    public int[] labels() {
        return labels.clone();
    }

    public boolean hasCoarseLabels() {
        return coarseLabels != null;
    }

    public int coarseLabel(int i) {
        return coarseLabels[i];
    }

    /** The same images without the coarse labels (sharing the pixel array). */
    public ImageArrays withoutCoarseLabels() {
        return new ImageArrays(height, width, channels, pixels, labels, null);
    }

    /** A copy of the pixels of image {@code i}, CHW. */
    public byte[] image(int i) {
        int size = imageBytes();
        return Arrays.copyOfRange(pixels, i * size, (i + 1) * size);
    }
}
