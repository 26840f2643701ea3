package io.protospark.model.prototype;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocked-Gram pairwise cosine statistics against a direct double loop, across block boundaries. */
class PrototypeSetStatisticsTest {
    @Test
    void blockedGramMatchesEveryPairDirectly() {
        Random rnd = new Random(3);
        int k = 2 * 2048 + 37; // three blocks, the last one short
        int d = 5;
        double[][] rows = new double[k][d];
        for (double[] r : rows) {
            for (int j = 0; j < d; j++) {
                r[j] = rnd.nextGaussian() * (1 + rnd.nextInt(3));
            }
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                double dot = 0;
                double ni = 0;
                double nj = 0;
                for (int t = 0; t < d; t++) {
                    dot += rows[i][t] * rows[j][t];
                    ni += rows[i][t] * rows[i][t];
                    nj += rows[j][t] * rows[j][t];
                }
                double c = dot / Math.sqrt(ni * nj);
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
        }
        PrototypeSet p = PrototypeSet.of(PrototypeKind.FILE, rows);
        assertEquals(lo, p.minCosine(), 1e-12);
        assertEquals(hi, p.maxCosine(), 1e-12);
    }

    @Test
    void aRowCloseToAnotherInTheLastBlockIsFound() {
        double[][] rows = new double[2100][];
        Random rnd = new Random(9);
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new double[]{rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
        }
        rows[2099] = new double[]{rows[5][0] * 3, rows[5][1] * 3, rows[5][2] * 3 + 1e-9};
        PrototypeSet p = PrototypeSet.of(PrototypeKind.FILE, rows);
        assertTrue(p.maxCosine() > 1 - 1e-12, "max cosine " + p.maxCosine());
        assertEquals(p.maxCosine(), p.permuted(reverse(2100)).maxCosine(), 0.0);
    }

    @Test
    void faceScaleSetsDescribeThemselvesWithoutTheQuadraticWork() {
        double[][] rows = new double[3000][3000];
        for (int i = 0; i < rows.length; i++) {
            rows[i][i] = 1;
        }
        String text = PrototypeSet.of(PrototypeKind.FILE, rows).toString();
        assertTrue(text.contains("not computed"), text);
    }

    @Test
    void toArrayCopiesEveryEntryInRowMajorOrder() {
        double[][] rows = {{1.5, -2, 3}, {0.25, 5, -6.125}};
        PrototypeSet p = PrototypeSet.of(PrototypeKind.FILE, rows);
        org.nd4j.linalg.api.ndarray.INDArray d = p.toArray(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        org.nd4j.linalg.api.ndarray.INDArray f = p.toArray(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(rows[i][j], d.getDouble(i, j), 0.0);
                assertEquals((float) rows[i][j], f.getFloat(i, j), 0f);
            }
        }
        assertEquals(org.nd4j.linalg.api.buffer.DataType.FLOAT, f.dataType());
    }

    private static int[] reverse(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = n - 1 - i;
        }
        return a;
    }
}
