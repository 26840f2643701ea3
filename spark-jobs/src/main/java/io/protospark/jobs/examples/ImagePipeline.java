package io.protospark.jobs.examples;

import java.io.Serializable;

/**
 * How examples of a data set prepared with {@code prepare.store = encoded} become network input
 * ({@code protospark.train.images.*}): training decodes each image and takes a {@link RandomResizedCrop} box (when
 * {@code crop} is not null) scaled to the model's input size, evaluation resizes the shorter side to
 * {@code evalResize} and takes the centre crop of the input size (torchvision's {@code Resize(256)} +
 * {@code CenterCrop(224)}). {@code threads} decode minibatches ahead of training, at most {@code queue} minibatches
 * decoded or being decoded at a time.
 *
 * @param crop       the training crop sampler, or null for the evaluation crop in training too
 * @param evalResize the shorter side evaluation resizes to before the centre crop
 * @param threads    decoding threads per partition being trained (0 = decode in the consuming thread)
 * @param queue      minibatches decoded ahead, at most (memory: queue x batch x C x H x W x 4 bytes)
 */
public record ImagePipeline(RandomResizedCrop crop, int evalResize, int threads, int queue) implements Serializable {
    public ImagePipeline {
        if (evalResize < 1) {
            throw new IllegalArgumentException("evalResize must be positive, found " + evalResize);
        }
        if (threads < 0 || queue < 1) {
            throw new IllegalArgumentException("threads " + threads + " must be >= 0 and queue " + queue + " >= 1");
        }
    }

    /** The same pipeline without the random crop (evaluation, class memory). */
    public ImagePipeline forEvaluation() {
        return new ImagePipeline(null, evalResize, threads, queue);
    }

    /**
     * The centre box {@code {top, left, height, width}} of the evaluation crop, in the coordinates of the image
     * resized to shorter side {@code evalResize}, of size {@code height x width} (torchvision's {@code CenterCrop}:
     * offsets rounded half to even).
     */
    public static int[] centreBox(int imageHeight, int imageWidth, int height, int width) {
        int top = (int) Math.rint((imageHeight - height) / 2.0);
        int left = (int) Math.rint((imageWidth - width) / 2.0);
        return new int[]{top, left, height, width};
    }
}
