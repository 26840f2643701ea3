package io.protospark.model.assign;

import io.protospark.model.prototype.PrototypeSet;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Per-class sums of L2-normalised embeddings, the input of DL2PA's label-to-prototype assignment (Saadabadi et
 * al., CVPR 2024; METHODS.md §5.3).
 *
 * <p>O(K·d) memory; {@link #merge} adds another memory in place, so Spark can build one per partition and
 * tree-aggregate them. {@link #means()} gives the epoch mean direction of each class (rows renormalised);
 * {@link Ema} is this project's class memory across batches (METHODS.md "Decisions"): a true exponential moving
 * average of each class's mean normalised feature in the batch. Zero embeddings have no direction and are
 * skipped (counted in {@link #skipped()}). Not thread-safe.
 */
public final class ClassMemory implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int classes;
    private final int dim;
    private final double[] sums;
    private final long[] counts;
    private long skipped;

    public ClassMemory(int classes, int dim) {
        if (classes < 1 || dim < 1) {
            throw new IllegalArgumentException("a class memory needs classes >= 1 and dim >= 1, got " + classes
                    + " x " + dim);
        }
        this.classes = classes;
        this.dim = dim;
        this.sums = new double[classes * dim];
        this.counts = new long[classes];
    }

    /** Adds the normalised embedding of one example of class {@code label}. */
    public ClassMemory add(int label, float[] embedding) {
        return add(label, embedding, 0);
    }

    /** Adds the normalised {@code dim} values at {@code offset} (one row of a row-major batch) for {@code label}. */
    public ClassMemory add(int label, float[] values, int offset) {
        checkLabel(label);
        double s = 0;
        for (int t = 0; t < dim; t++) {
            double x = values[offset + t];
            s += x * x;
        }
        if (!(s > 0) || Double.isInfinite(s)) {
            if (Double.isNaN(s) || Double.isInfinite(s)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "embedding of class %d holds a non-finite value", label));
            }
            skipped++;
            return this;
        }
        double inv = 1 / Math.sqrt(s);
        int base = label * dim;
        for (int t = 0; t < dim; t++) {
            sums[base + t] += values[offset + t] * inv;
        }
        counts[label]++;
        return this;
    }

    /** Adds a row-major batch of {@code labels.length} embeddings of width {@code dim}. */
    public ClassMemory addBatch(float[] features, int[] labels) {
        if ((long) labels.length * dim != features.length) {
            throw new IllegalArgumentException("a batch of " + labels.length + " labels needs " + labels.length * dim
                    + " feature values, found " + features.length);
        }
        for (int b = 0; b < labels.length; b++) {
            add(labels[b], features, b * dim);
        }
        return this;
    }

    /** Adds {@code other} into this memory (same shape) and returns this: the combine step of a tree aggregate. */
    public ClassMemory merge(ClassMemory other) {
        if (other.classes != classes || other.dim != dim) {
            throw new IllegalArgumentException("cannot merge a " + other.classes + " x " + other.dim
                    + " class memory into a " + classes + " x " + dim + " one");
        }
        for (int x = 0; x < sums.length; x++) {
            sums[x] += other.sums[x];
        }
        for (int c = 0; c < classes; c++) {
            counts[c] += other.counts[c];
        }
        skipped += other.skipped;
        return this;
    }

    public int classes() {
        return classes;
    }

    public int dim() {
        return dim;
    }

    /** Examples added for class c. */
    public long count(int c) {
        checkLabel(c);
        return counts[c];
    }

    /** Zero embeddings that were skipped. */
    public long skipped() {
        return skipped;
    }

    /** A copy of class c's sum of normalised embeddings. */
    public double[] sum(int c) {
        checkLabel(c);
        return Arrays.copyOfRange(sums, c * dim, (c + 1) * dim);
    }

    /**
     * The epoch mean direction of every class, K×d row-major, rows renormalised to unit length. A class without
     * examples (or whose normalised embeddings cancel exactly) keeps a zero row; check {@link #count}.
     */
    public double[] means() {
        double[] m = new double[sums.length];
        for (int c = 0; c < classes; c++) {
            normalizeInto(sums, c * dim, dim, m, c * dim);
        }
        return m;
    }

    /**
     * The K×K row-major cosine matrix between memory rows (K×d, row-major) and the prototypes, for
     * {@link LinearAssignment#solveMax}: entry (c, j) = cos(row c, prototype j). Rows are normalised here; a zero
     * row gives zero cosines.
     */
    public static double[] cosineMatrix(double[] rows, int k, PrototypeSet prototypes) {
        int d = prototypes.dimension();
        if (prototypes.classes() != k || (long) k * d != rows.length) {
            throw new IllegalArgumentException("memory rows are " + rows.length + " values for " + k
                    + " classes; prototypes are " + prototypes.classes() + " x " + d);
        }
        double[] q = new double[rows.length];
        double[] p = new double[rows.length];
        double[][] pm = prototypes.matrix();
        for (int c = 0; c < k; c++) {
            normalizeInto(rows, c * d, d, q, c * d);
            System.arraycopy(pm[c], 0, p, c * d, d);
            normalizeInto(p, c * d, d, p, c * d);
        }
        double[] s = new double[k * k];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += q[c * d + t] * p[j * d + t];
                }
                s[c * k + j] = dot;
            }
        }
        return s;
    }

    private static void normalizeInto(double[] src, int from, int d, double[] dst, int to) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            s += src[from + t] * src[from + t];
        }
        double inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        for (int t = 0; t < d; t++) {
            dst[to + t] = src[from + t] * inv;
        }
    }

    private void checkLabel(int label) {
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " is outside 0.." + (classes - 1));
        }
    }

    /**
     * DL2PA's per-class memory Q as this project decided (METHODS.md "Decisions"): after each batch, for every class
     * c present, {@code Q_c ← normalize(μ·Q_c + (1 − μ)·m_c)} where m_c is the mean of the batch's
     * L2-normalised features of class c (not renormalised before mixing) and μ the momentum (default 0.9).
     * Classes absent from the batch are unchanged; every row stays unit length. The seed code's {@code +=} (old value weighted 1 + μ)
     * and its keeping of one sample per class are deliberately not reproduced.
     */
    public static final class Ema implements Serializable {
        private static final long serialVersionUID = 1L;
        /** The momentum DL2PA uses. */
        public static final double DEFAULT_MOMENTUM = 0.9;

        private final int classes;
        private final int dim;
        private final double momentum;
        private final double[] q;
        /** Batch updates of each class since this memory (or its {@link #copy}) was made. */
        private final long[] updates;

        /** Rows drawn from a seeded standard normal and normalised, as DL2PA initialises its queue. */
        public static Ema random(int classes, int dim, double momentum, long seed) {
            Random rnd = new Random(seed);
            double[] q = new double[classes * dim];
            for (int x = 0; x < q.length; x++) {
                q[x] = rnd.nextGaussian();
            }
            return new Ema(q, classes, dim, momentum);
        }

        /** From given rows (K×d row-major; normalised here, none may be zero). */
        public Ema(double[] initial, int classes, int dim, double momentum) {
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("EMA momentum must lie in [0, 1), got " + momentum);
            }
            if ((long) classes * dim != initial.length) {
                throw new IllegalArgumentException("initial memory has " + initial.length + " values, expected "
                        + classes + " x " + dim);
            }
            this.classes = classes;
            this.dim = dim;
            this.momentum = momentum;
            this.q = new double[initial.length];
            this.updates = new long[classes];
            for (int c = 0; c < classes; c++) {
                normalizeInto(initial, c * dim, dim, q, c * dim);
                if (q[c * dim] == 0 && Arrays.stream(q, c * dim, (c + 1) * dim).allMatch(x -> x == 0)) {
                    throw new IllegalArgumentException("initial memory row " + c + " is zero and has no direction");
                }
            }
        }

        /**
         * A memory exactly as it was saved: {@code rows} (K×d row-major, taken as they are, not re-normalised, so a
         * restored memory continues bit for bit) and the per-class update counts ({@link #updates}).
         */
        public static Ema restore(double[] rows, long[] updates, int classes, int dim, double momentum) {
            if (rows.length != (long) classes * dim || updates.length != classes) {
                throw new IllegalArgumentException("saved class memory has " + rows.length + " values and "
                        + updates.length + " counts, expected " + classes + " x " + dim + " and " + classes);
            }
            Ema e = new Ema(classes, dim, momentum);
            System.arraycopy(rows, 0, e.q, 0, rows.length);
            System.arraycopy(updates, 0, e.updates, 0, classes);
            return e;
        }

        private Ema(int classes, int dim, double momentum) {
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("EMA momentum must lie in [0, 1), got " + momentum);
            }
            this.classes = classes;
            this.dim = dim;
            this.momentum = momentum;
            this.q = new double[classes * dim];
            this.updates = new long[classes];
        }

        public int classes() {
            return classes;
        }

        public int dim() {
            return dim;
        }

        /** A copy of the per-class update counts ({@link #updates(int)} of every class). */
        public long[] updateCounts() {
            return updates.clone();
        }

        /** One batch: its per-class sums of normalised features (a {@link ClassMemory} of the batch). */
        public Ema update(ClassMemory batch) {
            if (batch.classes != classes || batch.dim != dim) {
                throw new IllegalArgumentException("batch memory is " + batch.classes + " x " + batch.dim
                        + ", the EMA is " + classes + " x " + dim);
            }
            double[] row = new double[dim];
            for (int c = 0; c < classes; c++) {
                long n = batch.counts[c];
                if (n == 0) {
                    continue;
                }
                int base = c * dim;
                double norm = 0;
                for (int t = 0; t < dim; t++) {
                    row[t] = momentum * q[base + t] + (1 - momentum) * batch.sums[base + t] / n;
                    norm += row[t] * row[t];
                }
                if (norm > 0) { // an exact cancellation has no direction: keep the old row
                    normalizeInto(row, 0, dim, q, base);
                }
                updates[c]++;
            }
            return this;
        }

        /** The same rows and momentum, with no updates counted: a worker's copy for one averaging round. */
        public Ema copy() {
            return new Ema(q, classes, dim, momentum);
        }

        /** Batch updates class c received since this memory or copy was made. */
        public long updates(int c) {
            return updates[c];
        }

        /**
         * Folds in the workers' {@link #copy copies} after a round in which each updated its copy batch by batch, as
         * parameter averaging folds in the workers' networks: class c's row becomes the normalised mean of the rows of
         * the copies that saw class c; a class no worker saw keeps its row. With one worker this is exactly the
         * sequential moving average of its batches.
         */
        public Ema mergeCopies(java.util.Collection<Ema> copies) {
            double[] mean = new double[dim];
            for (int c = 0; c < classes; c++) {
                Arrays.fill(mean, 0);
                int seen = 0;
                for (Ema e : copies) {
                    if (e.classes != classes || e.dim != dim) {
                        throw new IllegalArgumentException("a worker's memory is " + e.classes + " x " + e.dim
                                + ", the driver's is " + classes + " x " + dim);
                    }
                    if (e.updates[c] > 0) {
                        seen++;
                        for (int t = 0; t < dim; t++) {
                            mean[t] += e.q[c * dim + t];
                        }
                    }
                }
                double norm = 0;
                for (double x : mean) {
                    norm += x * x;
                }
                if (seen > 0 && norm > 0) {
                    normalizeInto(mean, 0, dim, q, c * dim);
                    updates[c] += seen;
                }
            }
            return this;
        }

        /** One batch given as row-major features and labels. */
        public Ema update(float[] features, int[] labels) {
            return update(new ClassMemory(classes, dim).addBatch(features, labels));
        }

        public double momentum() {
            return momentum;
        }

        /** A copy of the memory, K×d row-major, unit rows. */
        public double[] rows() {
            return q.clone();
        }

        /** A copy of class c's row. */
        public double[] row(int c) {
            return Arrays.copyOfRange(q, c * dim, (c + 1) * dim);
        }
    }
}
