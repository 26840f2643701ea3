package io.protospark.model.prototype;

import java.util.Arrays;
import java.util.Objects;

/**
 * A fixed K×d prototype matrix (row k belongs to class k) with how it was made and how well spread it is.
 *
 * <p>Immutable: every accessor returns a copy. Saved with every model as {@code prototypes.npy} (float64) so
 * users can inspect it with NumPy; {@link #maxCosine()} and {@link #minCosine()} report its quality against the
 * simplex bound −1/(K−1), the best any K unit vectors can reach.
 */
public final class PrototypeSet {
    private final PrototypeKind kind;
    private final double[][] rows;
    private final double minCosine;
    private final double maxCosine;

    private PrototypeSet(PrototypeKind kind, double[][] rows) {
        this.kind = Objects.requireNonNull(kind, "kind");
        if (rows.length < 2) {
            throw new IllegalArgumentException("a prototype set needs at least 2 rows, got " + rows.length);
        }
        int d = rows[0].length;
        this.rows = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            if (rows[k].length != d) {
                throw new IllegalArgumentException("prototype row " + k + " has " + rows[k].length
                        + " columns, row 0 has " + d);
            }
            for (double v : rows[k]) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("prototype row " + k + " holds a non-finite value " + v);
                }
            }
            this.rows[k] = rows[k].clone();
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < rows.length; i++) {
            for (int j = i + 1; j < rows.length; j++) {
                double c = cosine(rows[i], rows[j]);
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
        }
        this.minCosine = lo;
        this.maxCosine = hi;
    }

    /** The regular simplex for K classes in K − 1 dimensions. */
    public static PrototypeSet simplex(int classes) {
        return new PrototypeSet(PrototypeKind.SIMPLEX, Polytopes.simplex(classes));
    }

    /** A matrix from elsewhere (for example a user's {@code .npy}). */
    public static PrototypeSet of(PrototypeKind kind, double[][] rows) {
        return new PrototypeSet(kind, rows);
    }

    public PrototypeKind kind() {
        return kind;
    }

    public int classes() {
        return rows.length;
    }

    public int dimension() {
        return rows[0].length;
    }

    /** A copy of row k. */
    public double[] row(int k) {
        return rows[k].clone();
    }

    /** A copy of the K×d matrix. */
    public double[][] matrix() {
        double[][] copy = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            copy[k] = rows[k].clone();
        }
        return copy;
    }

    /** The smallest pairwise cosine between distinct prototypes. */
    public double minCosine() {
        return minCosine;
    }

    /** The largest pairwise cosine between distinct prototypes (lower is better spread). */
    public double maxCosine() {
        return maxCosine;
    }

    /** −1/(K−1): the lowest max-cosine any K unit vectors reach, attained by the simplex when d ≥ K − 1. */
    public double simplexBound() {
        return -1.0 / (rows.length - 1);
    }

    /**
     * The set with rows permuted: row k of the result is row {@code assignment[k]} of this set, i.e. class k
     * takes prototype {@code assignment[k]}.
     */
    public PrototypeSet permuted(int[] assignment) {
        if (assignment.length != rows.length) {
            throw new IllegalArgumentException("assignment has " + assignment.length + " entries for "
                    + rows.length + " prototypes");
        }
        boolean[] seen = new boolean[rows.length];
        double[][] out = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            int p = assignment[k];
            if (p < 0 || p >= rows.length || seen[p]) {
                throw new IllegalArgumentException("assignment is not a permutation of 0.." + (rows.length - 1)
                        + ": entry " + k + " = " + p);
            }
            seen[p] = true;
            out[k] = rows[p];
        }
        return new PrototypeSet(kind, out);
    }

    static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrototypeSet other && kind == other.kind && Arrays.deepEquals(rows, other.rows);
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + Arrays.deepHashCode(rows);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s %dx%d (cosine min %.6f, max %.6f, bound %.6f)",
                kind.configName(), classes(), dimension(), minCosine, maxCosine, simplexBound());
    }
}
