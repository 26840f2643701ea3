package io.protospark.model.prototype;

/**
 * Regular polytope prototype matrices, as constructed by Regular Polytope Networks (Pernici, Bruni, Baecchi and
 * Del Bimbo, TNNLS 2021, {@code prototypes.py}). Row k of each matrix is the prototype of class k.
 */
public final class Polytopes {
    private Polytopes() {
    }

    /**
     * The d-simplex for K classes: a K×(K−1) matrix with unit rows, zero column sums and pairwise cosine
     * −1/(K−1). Built as in RePoNet: the (K−1)×K matrix [I | a·1] with a = (1 − √K)/(K−1), each row centred,
     * scaled by the norm of its first column, then transposed.
     *
     * @param classes K ≥ 2
     */
    public static double[][] simplex(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a simplex needs at least 2 classes, got " + classes);
        }
        int m = classes - 1;
        double a = (1.0 - Math.sqrt(m + 1.0)) / m;
        double[][] x = new double[m][m + 1];
        for (int i = 0; i < m; i++) {
            x[i][i] = 1.0;
            x[i][m] = a;
            double mean = 0;
            for (int j = 0; j <= m; j++) {
                mean += x[i][j];
            }
            mean /= (m + 1);
            for (int j = 0; j <= m; j++) {
                x[i][j] -= mean;
            }
        }
        double norm0 = 0;
        for (int i = 0; i < m; i++) {
            norm0 += x[i][0] * x[i][0];
        }
        norm0 = Math.sqrt(norm0);
        double[][] p = new double[m + 1][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= m; j++) {
                p[j][i] = x[i][j] / norm0;
            }
        }
        return p;
    }

    /**
     * The full d-cube of RePoNet: a 2^d×d matrix, row t has component i = −1/√d if bit i of t is 1, else +1/√d,
     * so cos(t, t′) = 1 − 2·popcount(t xor t′)/d.
     *
     * @param dimension 1 ≤ d ≤ 30
     */
    public static double[][] dcube(int dimension) {
        if (dimension < 1 || dimension > 30) {
            throw new IllegalArgumentException("a full d-cube needs 1 <= d <= 30, got " + dimension);
        }
        return dcube(1 << dimension, dimension);
    }

    /**
     * The first K vertices of the d-cube (rows t = 0..K−1 of {@link #dcube(int)}). RePoNet requires K = 2^d and
     * pads the logits otherwise; taking the first K vertices is equivalent for training. d = ⌈log2 K⌉ spreads best:
     * with a larger d the extra coordinates are the same +1/√d for every row.
     *
     * @throws IllegalArgumentException when K > 2^d
     */
    public static double[][] dcube(int classes, int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("a d-cube needs d >= 1, got " + dimension);
        }
        if (classes < 1 || (dimension < 31 && classes > (1L << dimension))) {
            throw new IllegalArgumentException("the d-cube in " + dimension + " dimensions has " + (1L << Math.min(dimension, 62))
                    + " vertices, cannot hold " + classes + " classes");
        }
        double v = 1.0 / Math.sqrt(dimension);
        double[][] p = new double[classes][dimension];
        for (int t = 0; t < classes; t++) {
            for (int i = 0; i < dimension; i++) {
                p[t][i] = i < 31 && ((t >>> i) & 1) == 1 ? -v : v;
            }
        }
        return p;
    }

    /**
     * The first K rows of the d-orthoplex [I_d ; −I_d]: class i &lt; d is +e_i, class d + i is −e_i (RePoNet's
     * order), so cosines are 0 or −1.
     *
     * @throws IllegalArgumentException when K > 2d
     */
    public static double[][] orthoplex(int classes, int dimension) {
        if (dimension < 1 || classes < 1 || classes > 2L * dimension) {
            throw new IllegalArgumentException("the orthoplex in " + dimension + " dimensions has " + 2L * dimension
                    + " vertices, cannot hold " + classes + " classes");
        }
        double[][] p = new double[classes][dimension];
        for (int k = 0; k < classes; k++) {
            if (k < dimension) {
                p[k][k] = 1.0;
            } else {
                p[k][k - dimension] = -1.0;
            }
        }
        return p;
    }

    /** RePoNet's polygonal2d: row n = (cos 2πn/K, sin 2πn/K). */
    public static double[][] polygon(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a polygon needs at least 2 classes, got " + classes);
        }
        double[][] p = new double[classes][2];
        for (int n = 0; n < classes; n++) {
            double a = 2 * Math.PI * n / classes;
            p[n][0] = Math.cos(a);
            p[n][1] = Math.sin(a);
        }
        return p;
    }

    /** The n×n Sylvester Hadamard matrix, entry (i, j) = (−1)^popcount(i and j); n a power of two. */
    public static double[][] sylvester(int n) {
        if (n < 1 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("a Sylvester Hadamard matrix needs a power-of-two size, got " + n);
        }
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                h[i][j] = (Integer.bitCount(i & j) & 1) == 0 ? 1.0 : -1.0;
            }
        }
        return h;
    }

    /**
     * RePoNet's hadamard prototypes: the first K rows and first d columns of the Sylvester matrix of size
     * 2^⌈log2 max(d, K)⌉, each row divided by √d (the seed normalises at forward time). Rows are mutually orthogonal
     * when d is a power of two ≥ K, and distinct exactly when K ≤ {@link #hadamardCapacity(int)}.
     */
    public static double[][] hadamard(int classes, int dimension) {
        if (classes < 1 || dimension < 1 || classes > hadamardCapacity(dimension)) {
            throw new IllegalArgumentException("hadamard rows in " + dimension + " dimensions are distinct for at most "
                    + hadamardCapacity(dimension) + " classes, got " + classes);
        }
        double v = 1.0 / Math.sqrt(dimension);
        double[][] p = new double[classes][dimension];
        for (int i = 0; i < classes; i++) {
            for (int j = 0; j < dimension; j++) {
                p[i][j] = (Integer.bitCount(i & j) & 1) == 0 ? v : -v;
            }
        }
        return p;
    }

    /**
     * How many distinct rows the first d columns of a Sylvester matrix have: 2^⌈log2 d⌉. Rows i and i′ agree on
     * columns 0..d−1 exactly when i xor i′ has no bit b with 2^b &lt; d.
     */
    public static long hadamardCapacity(int dimension) {
        int bits = 0;
        while ((1L << bits) < dimension) {
            bits++;
        }
        return 1L << bits;
    }
}
