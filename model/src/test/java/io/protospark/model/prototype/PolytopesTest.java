package io.protospark.model.prototype;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The d-simplex of Regular Polytope Networks: invariants and the reference implementation's rows for K = 3, 4. */
class PolytopesTest {

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 10, 17, 100})
    void simplexHasUnitRowsZeroColumnSumsAndEqualCosines(int k) {
        double[][] p = Polytopes.simplex(k);
        assertEquals(k, p.length);
        for (double[] row : p) {
            assertEquals(k - 1, row.length);
            double n = 0;
            for (double v : row) {
                n += v * v;
            }
            assertEquals(1.0, Math.sqrt(n), 1e-12);
        }
        for (int j = 0; j < k - 1; j++) {
            double sum = 0;
            for (double[] row : p) {
                sum += row[j];
            }
            assertEquals(0.0, sum, 1e-12, "column " + j + " sum");
        }
        // Gram matrix = (K/(K-1)) I - (1/(K-1)) 11^T
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                double dot = 0;
                for (int j = 0; j < k - 1; j++) {
                    dot += p[a][j] * p[b][j];
                }
                double expected = (a == b ? (double) k / (k - 1) : 0.0) - 1.0 / (k - 1);
                assertEquals(expected, dot, 1e-12, "Gram[" + a + "][" + b + "]");
            }
        }
    }

    @Test
    void simplexMatchesGoldenRows() {
        double[][] p3 = Polytopes.simplex(3);
        assertArrayEquals(new double[]{0.965926, -0.258819}, p3[0], 1e-6);
        assertArrayEquals(new double[]{-0.258819, 0.965926}, p3[1], 1e-6);
        assertArrayEquals(new double[]{-0.707107, -0.707107}, p3[2], 1e-6);
        double[][] p4 = Polytopes.simplex(4);
        assertArrayEquals(new double[]{0.96225, -0.19245, -0.19245}, p4[0], 1e-5);
        assertArrayEquals(new double[]{-0.57735, -0.57735, -0.57735}, p4[3], 1e-5);
    }

    @Test
    void prototypeSetReportsQualityAndRefusesBadPermutations() {
        PrototypeSet s = PrototypeSet.simplex(10);
        assertEquals(-1.0 / 9, s.maxCosine(), 1e-12);
        assertEquals(-1.0 / 9, s.minCosine(), 1e-12);
        assertEquals(s.simplexBound(), s.maxCosine(), 1e-12);
        int[] perm = {1, 0, 2, 3, 4, 5, 6, 7, 8, 9};
        assertArrayEquals(s.row(1), s.permuted(perm).row(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.permuted(new int[]{0, 0, 2, 3, 4, 5, 6, 7, 8, 9}));
        assertEquals("assignment is not a permutation of 0..9: entry 1 = 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Polytopes.simplex(1));
    }
}
