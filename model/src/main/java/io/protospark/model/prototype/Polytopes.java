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
}
