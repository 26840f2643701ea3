package io.protospark.metrics;

/**
 * Argument checks shared by the metrics: each throws an {@link IllegalArgumentException} whose message names the
 * argument and says what was expected.
 */
final class Checks {
    private Checks() {
    }

    static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }

    static void notNull(Object value, String name) {
        if (value == null) {
            throw bad(name + " is null; expected an array");
        }
    }

    static void nonEmpty(int length, String name) {
        if (length == 0) {
            throw bad(name + " is empty; expected at least one element");
        }
    }

    static void sameLength(int a, String nameA, int b, String nameB) {
        if (a != b) {
            throw bad(nameA + " has length " + a + " but " + nameB + " has length " + b + "; expected equal lengths");
        }
    }

    static void noNaN(double[] values, String name) {
        notNull(values, name);
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                throw bad(name + "[" + i + "] is NaN; expected a number");
            }
        }
    }

    static void finite(double[] values, String name) {
        notNull(values, name);
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw bad(name + "[" + i + "] is " + values[i] + "; expected a finite number");
            }
        }
    }

    /** A rectangular n × K matrix with n ≥ 1, K ≥ {@code minCols} and no NaN; returns K. */
    static int matrix(double[][] m, String name, int minCols) {
        notNull(m, name);
        nonEmpty(m.length, name);
        int cols = -1;
        for (int i = 0; i < m.length; i++) {
            if (m[i] == null) {
                throw bad(name + "[" + i + "] is null; expected a row of scores");
            }
            if (cols < 0) {
                cols = m[i].length;
                if (cols < minCols) {
                    throw bad(name + " has " + cols + " columns; expected at least " + minCols);
                }
            } else if (m[i].length != cols) {
                throw bad(name + "[" + i + "] has length " + m[i].length + " but " + name
                        + "[0] has length " + cols + "; expected a rectangular matrix");
            }
            for (int j = 0; j < cols; j++) {
                if (Double.isNaN(m[i][j])) {
                    throw bad(name + "[" + i + "][" + j + "] is NaN; expected a number");
                }
            }
        }
        return cols;
    }

    static void labels(int[] labels, String name, int numClasses) {
        notNull(labels, name);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw bad(name + "[" + i + "] is " + labels[i] + "; expected a class index in [0, "
                        + numClasses + ")");
            }
        }
    }

    static double[][] toDouble(float[][] m, String name) {
        notNull(m, name);
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            if (m[i] == null) {
                throw bad(name + "[" + i + "] is null; expected a row of scores");
            }
            out[i] = toDouble(m[i]);
        }
        return out;
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
