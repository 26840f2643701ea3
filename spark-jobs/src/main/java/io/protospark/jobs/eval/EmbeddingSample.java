package io.protospark.jobs.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 2-D view of a sample of the features for the run report: the features themselves when d = 2 (the LeNet++ DAM
 * demo, the Deep Simplex Classifier's Fig. 3), otherwise their projection on the first two principal components
 * (centred, from the SVD of the sample), with each point's label.
 */
final class EmbeddingSample {
    private EmbeddingSample() {
    }

    /** {@code method}, {@code dim}, {@code points} ([x, y, label] rows); null when no feature was sampled. */
    static Map<String, Object> of(List<Scoring.Scored> scored) {
        List<Scoring.Scored> sample = scored.stream().filter(s -> s.feature() != null).toList();
        if (sample.size() < 3) {
            return null;
        }
        int n = sample.size();
        int d = sample.get(0).feature().length;
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            float[] f = sample.get(i).feature();
            x[i] = new double[d];
            for (int j = 0; j < d; j++) {
                x[i][j] = f[j];
            }
        }
        double[][] xy;
        String method;
        if (d <= 2) {
            xy = new double[n][2];
            for (int i = 0; i < n; i++) {
                xy[i][0] = x[i][0];
                xy[i][1] = d == 2 ? x[i][1] : 0;
            }
            method = "features";
        } else {
            double[] mean = new double[d];
            for (double[] row : x) {
                for (int k = 0; k < d; k++) {
                    mean[k] += row[k] / n;
                }
            }
            for (double[] row : x) {
                for (int k = 0; k < d; k++) {
                    row[k] -= mean[k];
                }
            }
            double[][] cov = new double[d][d];
            for (double[] row : x) {
                for (int a = 0; a < d; a++) {
                    for (int b = a; b < d; b++) {
                        cov[a][b] += row[a] * row[b];
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < a; b++) {
                    cov[a][b] = cov[b][a];
                }
            }
            double[] first = principal(cov, null);
            double[] second = principal(cov, first);
            xy = new double[n][2];
            for (int i2 = 0; i2 < n; i2++) {
                for (int k = 0; k < d; k++) {
                    xy[i2][0] += x[i2][k] * first[k];
                    xy[i2][1] += x[i2][k] * second[k];
                }
            }
            method = "pca";
        }
        List<List<Double>> points = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            points.add(List.of(xy[i][0], xy[i][1], (double) sample.get(i).label()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("dim", d);
        m.put("points", points);
        return m;
    }

    /**
     * The leading eigenvector of the symmetric matrix {@code c} (orthogonal to {@code against} when given), by power
     * iteration from a fixed start; its sign makes the largest component positive, so the view is the same every run.
     */
    static double[] principal(double[][] c, double[] against) {
        int d = c.length;
        double[] v = new double[d];
        for (int k = 0; k < d; k++) {
            v[k] = 1.0 / Math.sqrt(d) * (1 + 0.01 * k);
        }
        for (int it = 0; it < 500; it++) {
            if (against != null) {
                double dot = 0;
                for (int k = 0; k < d; k++) {
                    dot += v[k] * against[k];
                }
                for (int k = 0; k < d; k++) {
                    v[k] -= dot * against[k];
                }
            }
            double[] w = new double[d];
            for (int a = 0; a < d; a++) {
                double sum = 0;
                for (int b = 0; b < d; b++) {
                    sum += c[a][b] * v[b];
                }
                w[a] = sum;
            }
            double norm = 0;
            for (double x : w) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                break;
            }
            double change = 0;
            for (int k = 0; k < d; k++) {
                w[k] /= norm;
                change = Math.max(change, Math.abs(w[k] - v[k]));
            }
            v = w;
            if (change < 1e-12) {
                break;
            }
        }
        int big = 0;
        for (int k = 1; k < d; k++) {
            if (Math.abs(v[k]) > Math.abs(v[big])) {
                big = k;
            }
        }
        if (v[big] < 0) {
            for (int k = 0; k < d; k++) {
                v[k] = -v[k];
            }
        }
        return v;
    }
}
