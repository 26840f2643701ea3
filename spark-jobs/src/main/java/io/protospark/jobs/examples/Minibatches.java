package io.protospark.jobs.examples;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.JDKRandomGenerator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Minibatches decoded from examples where they are trained: uint8 pixels to float input (pixels / 255, per-channel
 * normalisation, the seeded crop-and-flip augmentation of {@link Decoding}), one-hot label rows, and what training
 * does after decoding ({@link Training}: mixup, label smoothing, outlier exposure). No Spark: the training loop
 * runs a {@link BatchIterator} over each partition of its examples.
 */
public final class Minibatches {
    private Minibatches() {
    }

    /**
     * What training does to a minibatch after decoding: mixup (Zhang et al.; one λ ~ Beta(α, α) per minibatch, inputs
     * and label rows mixed with a random permutation of the same minibatch), label smoothing (y·(1 − ε) + ε/K, as
     * PyTorch's {@code CrossEntropyLoss(label_smoothing = ε)}), and outlier exposure (the Deep Simplex Classifier's
     * open-set training: {@code outliers} examples from another data set appended to every minibatch with all-zero
     * label rows).
     */
    public record Training(double mixupAlpha, double labelSmoothing, int outliers) implements Serializable {
        public static final Training NONE = new Training(0, 0, 0);

        public boolean random() {
            return mixupAlpha > 0;
        }
    }

    /** The generator of partition {@code idx}'s augmentation and mixup draws, from the epoch's seed. */
    public static Random partitionRandom(long seed, int idx) {
        return new Random(seed * 1_000_003L + idx * 104_729L + 17);
    }

    /** Decodes examples into DataSets lazily, one minibatch at a time. */
    public static final class BatchIterator implements Iterator<DataSet> {
        private final Iterator<Example> source;
        private final List<Example> outliers;
        private final int batchSize;
        private final int classes;
        private final Decoding decoding;
        private final Training training;
        private final Random random;
        private int nextOutlier;

        public BatchIterator(Iterator<Example> source, List<Example> outliers, int batchSize, int classes,
                             Decoding decoding, Training training, Random random) {
            this.source = source;
            this.outliers = outliers;
            this.batchSize = batchSize;
            this.classes = classes;
            this.decoding = decoding;
            this.training = training;
            this.random = random;
        }

        @Override
        public boolean hasNext() {
            return source.hasNext();
        }

        @Override
        public DataSet next() {
            List<Example> batch = new ArrayList<>(batchSize);
            while (source.hasNext() && batch.size() < batchSize) {
                batch.add(source.next());
            }
            DataSet ds = toDataSet(batch, classes, decoding, decoding.augments() ? random : null);
            if (training.mixupAlpha() > 0) {
                ds = mixup(ds, training.mixupAlpha(), random);
            }
            if (training.labelSmoothing() > 0) {
                ds.getLabels().muli(1 - training.labelSmoothing()).addi(training.labelSmoothing() / classes);
            }
            if (outliers != null) {
                List<Example> chosen = new ArrayList<>(training.outliers());
                for (int i = 0; i < training.outliers(); i++) {
                    chosen.add(outliers.get(nextOutlier));
                    nextOutlier = (nextOutlier + 1) % outliers.size();
                }
                DataSet out = toDataSet(chosen, 0, classes, decoding, decoding.augments() ? random : null);
                ds = new DataSet(Nd4j.concat(0, ds.getFeatures(), out.getFeatures()),
                        Nd4j.concat(0, ds.getLabels(), out.getLabels()));
            }
            return ds;
        }
    }

    /**
     * Mixup of one minibatch: λ ~ Beta(α, α), x ← λ·x + (1 − λ)·x[π], y ← λ·y + (1 − λ)·y[π] for a uniformly random
     * permutation π of the minibatch (both drawn from {@code random}).
     */
    public static DataSet mixup(DataSet ds, double alpha, Random random) {
        int n = ds.numExamples();
        BetaDistribution beta = new BetaDistribution(new JDKRandomGenerator(random.nextInt()), alpha, alpha);
        double lambda = beta.sample();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return mix(ds, lambda, perm);
    }

    /** x ← λ·x + (1 − λ)·x[π], y ← λ·y + (1 − λ)·y[π]: row i mixed with row {@code perm[i]}. */
    static DataSet mix(DataSet ds, double lambda, int[] perm) {
        int n = ds.numExamples();
        INDArray x = ds.getFeatures();
        INDArray y = ds.getLabels();
        INDArray xMixed = x.mul(lambda).addi(Nd4j.pullRows(x.reshape(n, -1), 1, perm).reshape(x.shape())
                .muli(1 - lambda));
        INDArray yMixed = y.mul(lambda).addi(Nd4j.pullRows(y, 1, perm).muli(1 - lambda));
        return new DataSet(xMixed, yMixed);
    }

    /** One minibatch; {@code random} draws the augmentation (null = none). */
    public static DataSet toDataSet(List<Example> batch, int classes, Decoding d, Random random) {
        return toDataSet(batch, 1, classes, d, random);
    }

    /**
     * One minibatch whose label rows are {@code labelValue} at each example's class: 1 for training and evaluation,
     * 0 for outlier-exposure examples (an all-zero row marks an outlier; their own labels are not checked).
     */
    public static DataSet toDataSet(List<Example> batch, int labelValue, int classes, Decoding d, Random random) {
        int n = batch.size();
        int size = d.channels() * d.height() * d.width();
        int plane = d.height() * d.width();
        float[] x = new float[n * size];
        float[] y = new float[n * classes];
        boolean normalise = d.mean().length > 0;
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            if (e.pixels().length != size) {
                throw new IllegalStateException("example with label " + e.label() + " has " + e.pixels().length
                        + " pixel bytes, expected " + size + " (" + d.channels() + "x" + d.height() + "x"
                        + d.width() + ")");
            }
            if (labelValue != 0 && (e.label() < 0 || e.label() >= classes)) {
                throw new IllegalStateException("label " + e.label() + " outside [0, " + classes + ")");
            }
            byte[] p = e.pixels();
            int off = i * size;
            int pad = d.cropPadding();
            int dy = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            int dx = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            boolean flip = random != null && d.flip() && random.nextBoolean();
            for (int c = 0; c < d.channels(); c++) {
                float mean = normalise ? d.mean()[c] : 0f;
                float scale = normalise ? 1f / d.std()[c] : 1f;
                for (int r = 0; r < d.height(); r++) {
                    int sr = r + dy;
                    for (int col = 0; col < d.width(); col++) {
                        int sc = (flip ? d.width() - 1 - col : col) + dx;
                        // outside the image is the zero padding (black), normalised like any pixel
                        float v = sr < 0 || sr >= d.height() || sc < 0 || sc >= d.width() ? 0f
                                : (p[c * plane + sr * d.width() + sc] & 0xff) / 255f;
                        x[off + c * plane + r * d.width() + col] = (v - mean) * scale;
                    }
                }
            }
            int[] box = random == null ? null : d.erase().draw(d.height(), d.width(), random);
            if (box != null) {
                for (int c = 0; c < d.channels(); c++) {
                    for (int r = box[0]; r < box[0] + box[2]; r++) {
                        int start = off + c * plane + r * d.width() + box[1];
                        Arrays.fill(x, start, start + box[3], 0f);
                    }
                }
            }
            if (labelValue != 0) {
                y[i * classes + e.label()] = labelValue;
            }
        }
        // NCHW, the layout every network of protospark takes (the rows are CHW already)
        INDArray features = Nd4j.create(x, new long[]{n, d.channels(), d.height(), d.width()}, DataType.FLOAT);
        INDArray labels = Nd4j.create(y, new long[]{n, classes}, DataType.FLOAT);
        return new DataSet(features, labels);
    }
}
