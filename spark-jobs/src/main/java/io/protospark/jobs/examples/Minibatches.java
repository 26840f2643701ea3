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

    /**
     * Decodes examples into DataSets lazily, one minibatch at a time. For encoded images with
     * {@code ImagePipeline.threads() > 0}, a pool of that many threads decodes the next minibatches ahead of the one
     * handed out, at most {@code ImagePipeline.queue()} of them at a time (decoded or being decoded), in order; every
     * random draw of an encoded image comes from its own generator ({@link #exampleRandom}), so the minibatches are the
     * same whatever the threads. The pool's threads are daemons and end once idle for a few seconds, also when the
     * iterator is abandoned.
     */
    public static final class BatchIterator implements Iterator<DataSet> {
        private final Iterator<Example> source;
        private final List<Example> outliers;
        private final int batchSize;
        private final int classes;
        private final Decoding decoding;
        private final Training training;
        private final Random random;
        private final long seed;
        private final java.util.concurrent.ThreadPoolExecutor pool;
        private final java.util.ArrayDeque<java.util.concurrent.Future<Arrays2>> ahead = new java.util.ArrayDeque<>();
        private int nextOutlier;

        public BatchIterator(Iterator<Example> source, List<Example> outliers, int batchSize, int classes,
                             Decoding decoding, Training training, Random random) {
            this(source, outliers, batchSize, classes, decoding, training, random, 0L);
        }

        /**
         * {@code seed}: the epoch's seed, from which (with each example's content) the crops and flips of encoded images
         * are drawn; {@code random}: the partition's generator for the rest (pixel augmentation, mixup).
         */
        public BatchIterator(Iterator<Example> source, List<Example> outliers, int batchSize, int classes,
                             Decoding decoding, Training training, Random random, long seed) {
            this.source = source;
            this.outliers = outliers;
            this.batchSize = batchSize;
            this.classes = classes;
            this.decoding = decoding;
            this.training = training;
            this.random = random;
            this.seed = seed;
            if (decoding.encoded() && outliers != null) {
                throw new IllegalArgumentException("outlier exposure is not available for data sets of encoded images");
            }
            int threads = decoding.encoded() ? decoding.images().threads() : 0;
            if (threads > 0) {
                java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
                pool = new java.util.concurrent.ThreadPoolExecutor(threads, threads, 5, java.util.concurrent.TimeUnit.SECONDS,
                        new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                            Thread t = new Thread(r, "protospark-decode-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
                pool.allowCoreThreadTimeOut(true);
            } else {
                pool = null;
            }
        }

        @Override
        public boolean hasNext() {
            return !ahead.isEmpty() || source.hasNext();
        }

        private List<Example> take() {
            List<Example> batch = new ArrayList<>(batchSize);
            while (source.hasNext() && batch.size() < batchSize) {
                batch.add(source.next());
            }
            return batch;
        }

        /** The next minibatch's arrays: from the pool (keeping it {@code queue} minibatches ahead) or decoded here. */
        private Arrays2 nextArrays() {
            boolean augment = decoding.augments() && random != null;
            if (pool == null) {
                List<Example> batch = take();
                return decoding.encoded() ? encodedArrays(batch, 1, classes, decoding, seed, augment)
                        : pixelArrays(batch, 1, classes, decoding, augment ? random : null);
            }
            while (ahead.size() < decoding.images().queue() && source.hasNext()) {
                List<Example> batch = take();
                ahead.add(pool.submit(() -> encodedArrays(batch, 1, classes, decoding, seed, augment)));
            }
            try {
                return ahead.poll().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pool.shutdownNow();
                throw new IllegalStateException("interrupted while decoding a minibatch", e);
            } catch (java.util.concurrent.ExecutionException e) {
                pool.shutdownNow();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("decoding a minibatch failed: " + cause, cause);
            } finally {
                if (ahead.isEmpty() && !source.hasNext()) {
                    pool.shutdown();
                }
            }
        }

        @Override
        public DataSet next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            DataSet ds = nextArrays().toDataSet();
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

    /** A minibatch as plain arrays, made on any thread; the INDArrays are made by the thread that trains. */
    record Arrays2(float[] x, float[] y, int n, int channels, int height, int width, int classes) {
        DataSet toDataSet() {
            // NCHW, the layout every network of protospark takes (the rows are CHW already)
            INDArray features = Nd4j.create(x, new long[]{n, channels, height, width}, DataType.FLOAT);
            INDArray labels = Nd4j.create(y, new long[]{n, classes}, DataType.FLOAT);
            return new DataSet(features, labels);
        }
    }

    /**
     * The generator of one encoded image's augmentation in the epoch of {@code seed}: seeded by {@link Example#key}, so
     * the same seed and example give the same crop, flip and erasing on any executor, thread or partition.
     */
    public static Random exampleRandom(long seed, Example e) {
        return new Random(Example.key(seed, 0, e));
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
     * 0 for outlier-exposure examples (an all-zero row marks an outlier; their own labels are not checked). Encoded
     * images are decoded without augmentation when {@code random} is null; with a generator, they are augmented from
     * a seed it draws (the training loop uses {@link BatchIterator}, which seeds each image from the epoch instead).
     */
    public static DataSet toDataSet(List<Example> batch, int labelValue, int classes, Decoding d, Random random) {
        if (d.encoded()) {
            return encodedArrays(batch, labelValue, classes, d, random == null ? 0 : random.nextLong(),
                    random != null && d.augments()).toDataSet();
        }
        return pixelArrays(batch, labelValue, classes, d, random).toDataSet();
    }

    private static Arrays2 pixelArrays(List<Example> batch, int labelValue, int classes, Decoding d, Random random) {
        int n = batch.size();
        int size = d.channels() * d.height() * d.width();
        float[] x = new float[n * size];
        float[] y = new float[n * classes];
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            if (e.pixels().length != size) {
                throw new IllegalStateException("example with label " + e.label() + " has " + e.pixels().length
                        + " pixel bytes, expected " + size + " (" + d.channels() + "x" + d.height() + "x"
                        + d.width() + ")");
            }
            label(e, labelValue, classes, y, i);
            int pad = d.cropPadding();
            int dy = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            int dx = random != null && pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
            boolean flip = random != null && d.flip() && random.nextBoolean();
            write(e.pixels(), d, dy, dx, flip, x, i * size);
            erase(random == null ? null : d.erase().draw(d.height(), d.width(), random), d, x, i * size);
        }
        return new Arrays2(x, y, n, d.channels(), d.height(), d.width(), classes);
    }

    /**
     * A minibatch of encoded images: each decoded, cropped to the input size (with {@code augment}: the random resized
     * crop of {@link ImagePipeline#crop}, else the evaluation centre crop), flipped, normalised and erased, every draw
     * from {@link #exampleRandom}{@code (seed, example)} in that order. An image that cannot be decoded stops the run
     * with its label, size and the reason.
     */
    static Arrays2 encodedArrays(List<Example> batch, int labelValue, int classes, Decoding d, long seed,
                                 boolean augment) {
        if (d.channels() != 3) {
            throw new IllegalStateException("encoded images decode to RGB; the model takes " + d.channels()
                    + " channels");
        }
        int n = batch.size();
        int size = 3 * d.height() * d.width();
        float[] x = new float[n * size];
        float[] y = new float[n * classes];
        byte[] pixels = new byte[size];
        ImagePipeline p = d.images();
        for (int i = 0; i < n; i++) {
            Example e = batch.get(i);
            label(e, labelValue, classes, y, i);
            Random r = augment ? exampleRandom(seed, e) : null;
            try {
                if (r != null && p.crop() != null) {
                    randomCrop(e.pixels(), p.crop(), r, d, pixels);
                } else {
                    centreCrop(e.pixels(), p.evalResize(), r != null && d.flip() && r.nextBoolean(), d, pixels);
                }
            } catch (java.io.IOException ex) {
                throw new IllegalStateException("cannot decode the encoded image of an example with label " + e.label()
                        + " (" + e.pixels().length + " bytes): " + ex.getMessage(), ex);
            }
            write(pixels, d, 0, 0, false, x, i * size);
            erase(r == null ? null : d.erase().draw(d.height(), d.width(), r), d, x, i * size);
        }
        return new Arrays2(x, y, n, 3, d.height(), d.width(), classes);
    }

    /**
     * The random resized crop of {@code encoded}: the box drawn from {@code r} (once) with the image's size, then a flip
     * drawn from {@code r}; only the box's rows and columns are decoded.
     */
    static void randomCrop(byte[] encoded, RandomResizedCrop crop, Random r, Decoding d, byte[] pixels)
            throws java.io.IOException {
        int[][] box = new int[1][];
        java.awt.image.BufferedImage region = io.protospark.data.image.ImageDecoder.decodeRegion(encoded, (h, w) -> {
            if (box[0] == null) {
                box[0] = crop.box(h, w, RandomResizedCrop.of(r));
            }
            return box[0];
        }, new int[2]);
        boolean flip = d.flip() && r.nextBoolean();
        io.protospark.data.image.ImageDecoder.cropResize(region, 0, 0, box[0][2], box[0][3], d.height(), d.width(),
                flip, pixels);
    }

    /**
     * The evaluation crop of {@code encoded}: the shorter side resized to {@code resize}, then the centre
     * {@code height x width}. Below a 2x reduction only the rows and columns the bilinear samples read are decoded;
     * at 2x and more the whole image is decoded and halved first ({@code ImageDecoder.shorterSide}).
     */
    static void centreCrop(byte[] encoded, int resize, boolean flip, Decoding d, byte[] pixels)
            throws java.io.IOException {
        int[] size = new int[2];
        int[][] plan = new int[1][];
        java.awt.image.BufferedImage region = io.protospark.data.image.ImageDecoder.decodeRegion(encoded, (h, w) -> {
            int[] rs = io.protospark.data.image.ImageDecoder.shorterSideSize(h, w, resize);
            if (rs[0] < d.height() || rs[1] < d.width()) {
                throw new IllegalStateException("protospark.train.images.eval-resize " + resize + " gives " + rs[0]
                        + "x" + rs[1] + ", smaller than the input " + d.height() + "x" + d.width());
            }
            int[] c = ImagePipeline.centreBox(rs[0], rs[1], d.height(), d.width());
            double sy = (double) h / rs[0];
            double sx = (double) w / rs[1];
            if (sy >= 2 && sx >= 2) {
                plan[0] = new int[]{0, 0, h, w, 1};
            } else {
                int r0 = (int) Math.min(Math.max((c[0] + 0.5) * sy - 0.5, 0), h - 1);
                int r1 = Math.min((int) Math.min(Math.max((c[0] + d.height() - 0.5) * sy - 0.5, 0), h - 1) + 1, h - 1);
                int c0 = (int) Math.min(Math.max((c[1] + 0.5) * sx - 0.5, 0), w - 1);
                int c1 = Math.min((int) Math.min(Math.max((c[1] + d.width() - 0.5) * sx - 0.5, 0), w - 1) + 1, w - 1);
                plan[0] = new int[]{r0, c0, r1 - r0 + 1, c1 - c0 + 1, 0};
            }
            return plan[0];
        }, size);
        if (plan[0][4] == 1) {
            java.awt.image.BufferedImage resized = io.protospark.data.image.ImageDecoder.shorterSide(region, resize);
            int[] b = ImagePipeline.centreBox(resized.getHeight(), resized.getWidth(), d.height(), d.width());
            io.protospark.data.image.ImageDecoder.cropResize(resized, b[0], b[1], b[2], b[3], d.height(), d.width(),
                    flip, pixels);
            return;
        }
        int[] rs = io.protospark.data.image.ImageDecoder.shorterSideSize(size[0], size[1], resize);
        int[] c = ImagePipeline.centreBox(rs[0], rs[1], d.height(), d.width());
        io.protospark.data.image.ImageDecoder.sample(region, plan[0][0], plan[0][1], 0, 0, size[0], size[1], c[0], c[1],
                (double) size[0] / rs[0], (double) size[1] / rs[1], d.height(), d.width(), flip, pixels);
    }

    private static void label(Example e, int labelValue, int classes, float[] y, int i) {
        if (labelValue != 0 && (e.label() < 0 || e.label() >= classes)) {
            throw new IllegalStateException("label " + e.label() + " outside [0, " + classes + ")");
        }
        if (labelValue != 0) {
            y[i * classes + e.label()] = labelValue;
        }
    }

    /** CHW uint8 {@code p} to float at {@code off}: shifted by (dy, dx) over zero padding, flipped, normalised. */
    private static void write(byte[] p, Decoding d, int dy, int dx, boolean flip, float[] x, int off) {
        int plane = d.height() * d.width();
        boolean normalise = d.mean().length > 0;
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
    }

    private static void erase(int[] box, Decoding d, float[] x, int off) {
        if (box == null) {
            return;
        }
        int plane = d.height() * d.width();
        for (int c = 0; c < d.channels(); c++) {
            for (int r = box[0]; r < box[0] + box[2]; r++) {
                int start = off + c * plane + r * d.width() + box[1];
                Arrays.fill(x, start, start + box[3], 0f);
            }
        }
    }
}
