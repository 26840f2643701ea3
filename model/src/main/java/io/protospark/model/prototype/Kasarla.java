package io.protospark.model.prototype;

/**
 * Maximally separated class vectors in closed form (Kasarla, Burghouts, van Spengler, van der Pol, Cucchiara and
 * Mettes, "Maximum Class Separation as Inductive Bias in One Matrix", NeurIPS 2022).
 *
 * <p>The recursion V(1) = [[1, −1]], V(n) = [[1, −(1/n)·1ᵀ], [0, √(1 − 1/n²)·V(n−1)]] gives an n×(n+1) matrix whose
 * columns are n + 1 unit vectors with pairwise cosine −1/n; the prototypes are V(K−1)ᵀ (row k = class k).
 */
public final class Kasarla {
    private Kasarla() {
    }

    /** V(K−1)ᵀ: K×(K−1), unit rows, pairwise cosine −1/(K−1), centroid 0. */
    public static double[][] prototypes(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("Kasarla's recursion needs at least 2 classes, got " + classes);
        }
        double[][] v = recursion(classes - 1);
        int n = classes - 1;
        double[][] p = new double[classes][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= n; j++) {
                p[j][i] = v[i][j];
            }
        }
        return p;
    }

    /** V(K−1)ᵀ with d − (K−1) zero columns appended (d ≥ K − 1). */
    public static double[][] prototypes(int classes, int dimension) {
        if (dimension < classes - 1) {
            throw new IllegalArgumentException("Kasarla prototypes for " + classes + " classes need d >= K - 1 = "
                    + (classes - 1) + ", got d = " + dimension);
        }
        double[][] p = prototypes(classes);
        double[][] out = new double[classes][dimension];
        for (int k = 0; k < classes; k++) {
            System.arraycopy(p[k], 0, out[k], 0, classes - 1);
        }
        return out;
    }

    /** V(n), n×(n+1), built bottom-up. */
    static double[][] recursion(int n) {
        double[][] v = {{1.0, -1.0}};
        for (int m = 2; m <= n; m++) {
            double[][] next = new double[m][m + 1];
            next[0][0] = 1.0;
            for (int j = 1; j <= m; j++) {
                next[0][j] = -1.0 / m;
            }
            double s = Math.sqrt(1.0 - 1.0 / ((double) m * m));
            for (int i = 0; i < m - 1; i++) {
                for (int j = 0; j < m; j++) {
                    next[i + 1][j + 1] = s * v[i][j];
                }
            }
            v = next;
        }
        return v;
    }
}
