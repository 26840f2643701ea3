package io.protospark.data.idx;

import io.protospark.data.source.ImageArrays;

import java.io.Serializable;
import java.net.URI;
import java.util.Arrays;

/**
 * The images and labels of one IDX split, held in two byte arrays on the driver (MNIST-sized data: 60 000
 * 28x28 images are 47 MB). Pixels are uint8, row-major, one channel; record {@code i} is image {@code i} with
 * label {@code i}. Immutable: accessors return copies.
 */
public final class IdxData implements Serializable {
    private static final long serialVersionUID = 1L;

    private final URI imagesFile;
    private final URI labelsFile;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final byte[] labels;

    IdxData(URI imagesFile, URI labelsFile, int height, int width, byte[] pixels, byte[] labels) {
        if ((long) labels.length * height * width != pixels.length) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " bytes, expected " + labels.length
                    + " x " + height + " x " + width);
        }
        this.imagesFile = imagesFile;
        this.labelsFile = labelsFile;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
    }

    public URI imagesFile() {
        return imagesFile;
    }

    public URI labelsFile() {
        return labelsFile;
    }

    /** Number of records. */
    public int count() {
        return labels.length;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Always 1: IDX images are grey-scale. */
    public int channels() {
        return 1;
    }

    /** Bytes per image: height * width * channels. */
    public int imageBytes() {
        return height * width;
    }

    /** The label of record {@code i}, in [0, classes). */
    public int label(int i) {
        return labels[i] & 0xff;
    }

    /** A copy of the pixels of record {@code i}: uint8, row-major. */
    public byte[] image(int i) {
        int size = imageBytes();
        return Arrays.copyOfRange(pixels, i * size, (i + 1) * size);
    }

    /** The same images as {@link ImageArrays} (sharing the pixel array, which neither class exposes). */
    public ImageArrays toArrays() {
        int[] ints = new int[labels.length];
        for (int i = 0; i < ints.length; i++) {
            ints[i] = labels[i] & 0xff;
        }
        return new ImageArrays(height, width, 1, pixels, ints, null);
    }

    /** How many records carry each label 0 .. classes-1. */
    public long[] perClass(int classes) {
        long[] counts = new long[classes];
        for (byte label : labels) {
            counts[label & 0xff]++;
        }
        return counts;
    }
}
