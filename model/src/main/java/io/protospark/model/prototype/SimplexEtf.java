package io.protospark.model.prototype;

import java.util.Random;

/**
 * The simplex equiangular tight frame of neural collapse (Papyan, Han and Donoho, PNAS 2020; the fixed
 * {@code ETF_Classifier} of the long-tail literature): M = √(K/(K−1))·U·(I_K − 1·1ᵀ/K), U a d×K matrix with
 * orthonormal columns, d ≥ K. Prototypes are the columns of M: unit norm, pairwise cosine −1/(K−1), centroid 0.
 *
 * <p>U is the Q of a QR decomposition (modified Gram–Schmidt, applied twice) of a d×K matrix with entries
 * uniform in [0, 1) from {@code java.util.Random(seed)}, so the same seed gives bit-identical prototypes on any JVM.
 */
public final class SimplexEtf {
    private SimplexEtf() {
    }

    /** The K×d matrix Mᵀ (row k = class k). */
    public static double[][] prototypes(int classes, int dimension, long seed) {
        if (classes < 2 || dimension < classes) {
            throw new IllegalArgumentException("a simplex ETF for " + classes + " classes needs d >= K = " + classes
                    + ", got d = " + dimension);
        }
        Random random = new Random(seed);
        // columns of U stored as rows of u (K×d)
        double[][] u = new double[classes][dimension];
        for (int i = 0; i < dimension; i++) {
            for (int k = 0; k < classes; k++) {
                u[k][i] = random.nextDouble();
            }
        }
        orthonormalise(u);
        orthonormalise(u);
        double scale = Math.sqrt((double) classes / (classes - 1));
        double[] mean = new double[dimension];
        for (double[] col : u) {
            for (int i = 0; i < dimension; i++) {
                mean[i] += col[i];
            }
        }
        for (int i = 0; i < dimension; i++) {
            mean[i] /= classes;
        }
        double[][] p = new double[classes][dimension];
        for (int k = 0; k < classes; k++) {
            for (int i = 0; i < dimension; i++) {
                p[k][i] = scale * (u[k][i] - mean[i]);
            }
        }
        return p;
    }

    /** Modified Gram–Schmidt on the rows of {@code v}, in place. */
    static void orthonormalise(double[][] v) {
        for (int k = 0; k < v.length; k++) {
            double[] a = v[k];
            for (int j = 0; j < k; j++) {
                double[] b = v[j];
                double dot = 0;
                for (int i = 0; i < a.length; i++) {
                    dot += a[i] * b[i];
                }
                for (int i = 0; i < a.length; i++) {
                    a[i] -= dot * b[i];
                }
            }
            double n = 0;
            for (double x : a) {
                n += x * x;
            }
            n = Math.sqrt(n);
            if (!(n > 1e-12)) {
                throw new IllegalStateException("Gram-Schmidt met a dependent column " + k);
            }
            for (int i = 0; i < a.length; i++) {
                a[i] /= n;
            }
        }
    }
}
