package io.protospark.metrics;

import java.util.ArrayList;
import java.util.List;

/** Conversions for the {@code toMap()} methods: arrays to lists, NaN to {@code null} (JSON has no NaN). */
final class JsonValues {
    private JsonValues() {
    }

    static Double number(double v) {
        return Double.isNaN(v) ? null : v;
    }

    static List<Double> list(double[] a) {
        List<Double> out = new ArrayList<>(a.length);
        for (double v : a) {
            out.add(number(v));
        }
        return out;
    }

    static List<Long> list(long[] a) {
        List<Long> out = new ArrayList<>(a.length);
        for (long v : a) {
            out.add(v);
        }
        return out;
    }

    static List<Integer> list(int[] a) {
        List<Integer> out = new ArrayList<>(a.length);
        for (int v : a) {
            out.add(v);
        }
        return out;
    }

    static List<List<Long>> list(long[][] a) {
        List<List<Long>> out = new ArrayList<>(a.length);
        for (long[] row : a) {
            out.add(list(row));
        }
        return out;
    }

    static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }

    static long[][] copy(long[][] a) {
        long[][] out = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
