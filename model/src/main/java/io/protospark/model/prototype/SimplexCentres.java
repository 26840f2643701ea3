package io.protospark.model.prototype;

/**
 * Class centres of the Deep Simplex Classifier (Cevikalp and Saribas, "Reaching Nirvana", arXiv 2212.11747,
 * {@code FindCenters} in {@code modules/utils.py}): vertices of a regular simplex on the sphere of radius u.
 *
 * <p>The project's default ({@link #centred}) is a centred regular K-simplex embedded in d ≥ K − 1 dimensions:
 * pairwise cosine −1/(K−1), centroid 0, every row of norm u. The seed's behaviour ({@link #subset}) takes the first
 * K rows of the (d+1)-vertex simplex instead: still equidistant and of norm u, but with cosine −1/d and a centroid
 * that is not 0 when K &lt; d + 1.
 */
public final class SimplexCentres {
    private SimplexCentres() {
    }

    /**
     * DSC's {@code FindCenters(k, E)}: a (k+1)×k matrix, row 0 = (1/√k)·1, rows 1..k = c·1 + δ·e_i with
     * c = −(1 + √(k+1))/k^{3/2} and δ = √((k+1)/k), all multiplied by E. Rows have norm E, pairwise cosine −1/k and
     * centroid 0.
     */
    public static double[][] findCenters(int k, double expand) {
        return findCenters(k, expand, k + 1);
    }

    /** The first {@code rows} rows of {@code FindCenters(k, E)}, without building the others. */
    private static double[][] findCenters(int k, double expand, int rows) {
        if (k < 1) {
            throw new IllegalArgumentException("FindCenters needs k >= 1, got " + k);
        }
        checkRadius(expand);
        double c = -(1.0 + Math.sqrt(k + 1.0)) / Math.pow(k, 1.5);
        double delta = Math.sqrt((k + 1.0) / k);
        double[][] p = new double[rows][k];
        double first = 1.0 / Math.sqrt(k);
        for (int j = 0; j < k; j++) {
            p[0][j] = first * expand;
        }
        for (int i = 1; i < rows; i++) {
            for (int j = 0; j < k; j++) {
                p[i][j] = (c + (j == i - 1 ? delta : 0.0)) * expand;
            }
        }
        return p;
    }

    /**
     * The project's default: {@code FindCenters(K−1, u)} (the full K-vertex simplex) with d − (K−1) zero columns
     * appended. Equal to the seed's centres when d = K − 1.
     *
     * @throws IllegalArgumentException when d &lt; K − 1
     */
    public static double[][] centred(int classes, int dimension, double radius) {
        checkFits(classes, dimension);
        double[][] s = findCenters(classes - 1, radius);
        double[][] p = new double[classes][dimension];
        for (int i = 0; i < classes; i++) {
            System.arraycopy(s[i], 0, p[i], 0, classes - 1);
        }
        return p;
    }

    /** The seed's centres: the first K rows of {@code FindCenters(d, u)} (cosine −1/d, centroid ≠ 0 if K &lt; d+1). */
    public static double[][] subset(int classes, int dimension, double radius) {
        checkFits(classes, dimension);
        return findCenters(dimension, radius, classes);
    }

    private static void checkFits(int classes, int dimension) {
        if (classes < 2 || dimension < classes - 1) {
            throw new IllegalArgumentException("simplex centres for " + classes + " classes need d >= K - 1 = "
                    + (classes - 1) + ", got d = " + dimension);
        }
    }

    private static void checkRadius(double radius) {
        if (!(radius > 0) || Double.isInfinite(radius)) {
            throw new IllegalArgumentException("the radius must be a positive finite number, got " + radius);
        }
    }
}
