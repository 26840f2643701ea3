package io.protospark.metrics;

import java.util.Arrays;

/**
 * NumPy's order of floating-point operations where the metrics depend on it, so that results agree with the
 * Python reference to the last bit where that is cheap to achieve.
 */
final class NumpyArith {
    private NumpyArith() {
    }

    /** NumPy's pairwise-summation block size ({@code PW_BLOCKSIZE} in NumPy's loops). */
    private static final int BLOCK = 128;

    /**
     * {@code np.sum} of a contiguous float64 array (also each row of {@code np.sum(m, axis=1)} for a C-ordered
     * matrix): {@code 0.0 +} NumPy's pairwise sum — fewer than 8 elements summed in order; up to 128 with eight
     * interleaved partial sums combined as {@code ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))} and the remainder added in
     * order; above that, split at {@code n/2} rounded down to a multiple of 8 and the halves summed recursively.
     */
    static double sum(double[] a, int from, int to) {
        return 0.0 + pairwise(a, from, to - from);
    }

    static double sum(double[] a) {
        return sum(a, 0, a.length);
    }

    private static double pairwise(double[] a, int off, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) {
                res += a[off + i];
            }
            return res;
        } else if (n <= BLOCK) {
            double[] r = Arrays.copyOfRange(a, off, off + 8);
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[off + i + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[off + i];
            }
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwise(a, off, n2) + pairwise(a, off + n2, n - n2);
        }
    }

    /** {@code np.mean(a)}: {@link #sum} divided by the length. */
    static double mean(double[] a) {
        return sum(a) / a.length;
    }

    /** {@code np.std(a)} (ddof = 0): the square root of the mean of squared deviations from {@link #mean}. */
    static double std(double[] a) {
        double m = mean(a);
        double[] sq = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - m;
            sq[i] = d * d;
        }
        return Math.sqrt(sum(sq) / a.length);
    }

    /**
     * Indices of {@code keys} in ascending order, ties in index order (a stable sort, NumPy's
     * {@code kind='stable'} / {@code 'mergesort'}); -0.0 and 0.0 compare equal, as in NumPy. No NaN expected.
     */
    static int[] stableArgsort(double[] keys) {
        Integer[] idx = new Integer[keys.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        // Arrays.sort on objects is a stable merge sort (TimSort).
        Arrays.sort(idx, (a, b) -> {
            double x = keys[a];
            double y = keys[b];
            return x < y ? -1 : (x > y ? 1 : 0);
        });
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
