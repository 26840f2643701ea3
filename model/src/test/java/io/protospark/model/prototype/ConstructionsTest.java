package io.protospark.model.prototype;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** METHODS §7 invariants 2, 3, 5, 6, 7 and 29 for the closed-form constructions, with their golden values. */
class ConstructionsTest {

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    static double cos(double[] a, double[] b) {
        return dot(a, b) / (norm(a) * norm(b));
    }

    static double[] centroid(double[][] p) {
        double[] c = new double[p[0].length];
        for (double[] row : p) {
            for (int i = 0; i < c.length; i++) {
                c[i] += row[i] / p.length;
            }
        }
        return c;
    }

    /** Unit rows, every off-diagonal cosine −1/(K−1), centroid 0. */
    static void assertRegularSimplex(double[][] p, int k) {
        assertEquals(k, p.length);
        for (int a = 0; a < k; a++) {
            assertEquals(1.0, norm(p[a]), 1e-12, "row " + a);
            for (int b = a + 1; b < k; b++) {
                assertEquals(-1.0 / (k - 1), cos(p[a], p[b]), 1e-12, "cos " + a + "," + b);
            }
        }
        assertEquals(0.0, norm(centroid(p)), 1e-12);
    }

    // 2. d-cube
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 7})
    void dcubeHasSignedEntriesAndHammingCosines(int d) {
        double[][] p = Polytopes.dcube(d);
        assertEquals(1 << d, p.length);
        for (int t = 0; t < p.length; t++) {
            assertEquals(d, p[t].length);
            for (double v : p[t]) {
                assertEquals(1.0 / Math.sqrt(d), Math.abs(v), 1e-15);
            }
            for (int u = t + 1; u < p.length; u++) {
                assertNotEquals(0, java.util.Arrays.compare(p[t], p[u]), "rows distinct");
                assertEquals(1 - 2.0 * Integer.bitCount(t ^ u) / d, cos(p[t], p[u]), 1e-12);
            }
        }
    }

    @Test
    void dcubeGoldenRowsAndFirstKVertices() {
        double[][] p = Polytopes.dcube(4);
        assertArrayEquals(new double[]{0.5, 0.5, 0.5, 0.5}, p[0], 1e-15);
        assertArrayEquals(new double[]{-0.5, 0.5, 0.5, 0.5}, p[1], 1e-15);
        double[][] ten = Polytopes.dcube(10, 4);
        assertEquals(10, ten.length);
        for (int t = 0; t < 10; t++) {
            assertArrayEquals(p[t], ten[t], 0.0);
        }
        // RePoNet rejects K != 2^d; this project takes the first K vertices and rejects only K > 2^d
        assertThrows(IllegalArgumentException.class, () -> Polytopes.dcube(17, 4));
    }

    // 3. orthoplex
    @Test
    void orthoplexRowsAreSignedBasisVectors() {
        int d = 5;
        double[][] p = Polytopes.orthoplex(2 * d, d);
        assertEquals(2 * d, p.length);
        for (int i = 0; i < d; i++) {
            double[] e = new double[d];
            e[i] = 1;
            assertArrayEquals(e, p[i], 0.0);
            e[i] = -1;
            assertArrayEquals(e, p[d + i], 0.0);
        }
        for (double[] a : p) {
            for (double[] b : p) {
                double g = dot(a, b);
                assertTrue(g == -1 || g == 0 || g == 1, "Gram entry " + g);
            }
        }
        assertEquals(9, Polytopes.orthoplex(9, 5).length);
        assertThrows(IllegalArgumentException.class, () -> Polytopes.orthoplex(11, 5));
    }

    // 5. hadamard
    @Test
    void hadamardEntriesAreSignsAndRowsOrthogonalForPowerOfTwoDimension() {
        double[][] h = Polytopes.sylvester(8);
        for (double[] row : h) {
            for (double v : row) {
                assertEquals(1.0, Math.abs(v), 0.0);
            }
        }
        double[][] p = Polytopes.hadamard(6, 8);
        for (int a = 0; a < 6; a++) {
            assertEquals(1.0, norm(p[a]), 1e-12);
            for (double v : p[a]) {
                assertEquals(1 / Math.sqrt(8), Math.abs(v), 1e-15);
            }
            for (int b = a + 1; b < 6; b++) {
                assertEquals(0.0, dot(p[a], p[b]), 1e-12);
            }
        }
        // rows of the first d columns are distinct exactly for K <= 2^ceil(log2 d)
        assertEquals(16, Polytopes.hadamardCapacity(9));
        assertEquals(8, Polytopes.hadamardCapacity(8));
        PrototypeSet ok = PrototypeSet.of(PrototypeKind.HADAMARD, Polytopes.hadamard(16, 9));
        assertTrue(ok.maxCosine() < 1 - 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Polytopes.hadamard(9, 8));
    }

    @Test
    void polygonIsEvenlySpacedOnTheCircle() {
        double[][] p = Polytopes.polygon(6);
        assertArrayEquals(new double[]{1, 0}, p[0], 1e-15);
        for (int n = 0; n < 6; n++) {
            assertEquals(1.0, norm(p[n]), 1e-15);
            assertEquals(Math.cos(2 * Math.PI / 6), cos(p[n], p[(n + 1) % 6]), 1e-12);
        }
    }

    // 6. FindCenters
    @Test
    void findCentersMatchesTheGoldenValues() {
        double[][] c = SimplexCentres.findCenters(2, 5);
        assertArrayEquals(new double[]{3.53553, 3.53553}, c[0], 1e-5);
        assertArrayEquals(new double[]{1.29410, -4.82963}, c[1], 1e-5);
        assertArrayEquals(new double[]{-4.82963, 1.29410}, c[2], 1e-5);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 33})
    void findCentersIsARegularSimplexOfRadiusE(int k) {
        double e = 7.5;
        double[][] c = SimplexCentres.findCenters(k, e);
        assertEquals(k + 1, c.length);
        double dist = e * Math.sqrt(2.0 * (k + 1) / k);
        for (int a = 0; a <= k; a++) {
            assertEquals(k, c[a].length);
            assertEquals(e, norm(c[a]), 1e-12);
            for (int b = a + 1; b <= k; b++) {
                double[] diff = new double[k];
                for (int i = 0; i < k; i++) {
                    diff[i] = c[a][i] - c[b][i];
                }
                assertEquals(dist, norm(diff), 1e-11);
                assertEquals(-1.0 / k, cos(c[a], c[b]), 1e-12);
            }
        }
        assertEquals(0.0, norm(centroid(c)), 1e-11);
    }

    // 7. the seed's subset of centres, and the project's centred default
    @Test
    void firstCRowsStayEquidistantButLoseTheCentroid() {
        double[][] s = SimplexCentres.subset(100, 512, 1000);
        assertEquals(100, s.length);
        double dist = 1000 * Math.sqrt(2.0 * 513 / 512);
        for (int a = 0; a < 100; a += 7) {
            for (int b = a + 1; b < 100; b += 11) {
                double[] diff = new double[512];
                for (int i = 0; i < 512; i++) {
                    diff[i] = s[a][i] - s[b][i];
                }
                assertEquals(dist, norm(diff), 1e-8);
                assertEquals(-1.0 / 512, cos(s[a], s[b]), 1e-12);
            }
        }
        assertEquals(89.81, norm(centroid(s)), 0.01);
    }

    @Test
    void centredCentresAreARegularKSimplexOfRadiusU() {
        double[][] c = SimplexCentres.centred(10, 64, 3.0);
        assertEquals(64, c[0].length);
        double[][] unit = new double[10][];
        for (int k = 0; k < 10; k++) {
            assertEquals(3.0, norm(c[k]), 1e-12);
            unit[k] = c[k].clone();
            for (int i = 0; i < 64; i++) {
                unit[k][i] /= 3.0;
            }
        }
        assertRegularSimplex(unit, 10);
        // equal to the seed's centres when d = K - 1
        double[][] seed = SimplexCentres.subset(10, 9, 3.0);
        for (int k = 0; k < 10; k++) {
            assertArrayEquals(seed[k], java.util.Arrays.copyOf(c[k], 9), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> SimplexCentres.centred(10, 8, 1.0));
    }

    // 29. Kasarla and ETF
    @Test
    void kasarlaMatchesTheGoldenRowsForThreeClasses() {
        double[][] p = Kasarla.prototypes(3);
        assertArrayEquals(new double[]{1, 0}, p[0], 1e-15);
        assertArrayEquals(new double[]{-0.5, Math.sqrt(3) / 2}, p[1], 1e-15);
        assertArrayEquals(new double[]{-0.5, -Math.sqrt(3) / 2}, p[2], 1e-15);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 10, 57})
    void kasarlaIsARegularSimplex(int k) {
        double[][] p = Kasarla.prototypes(k);
        assertEquals(k - 1, p[0].length);
        assertRegularSimplex(p, k);
        double[][] padded = Kasarla.prototypes(k, k + 3);
        assertEquals(k + 3, padded[0].length);
        assertRegularSimplex(padded, k);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 10, 40})
    void etfIsARegularSimplexAndReproducible(int k) {
        double[][] p = SimplexEtf.prototypes(k, k + 5, 11);
        assertEquals(k + 5, p[0].length);
        assertRegularSimplex(p, k);
        assertTrue(java.util.Arrays.deepEquals(p, SimplexEtf.prototypes(k, k + 5, 11)), "same seed, same matrix");
        assertThrows(IllegalArgumentException.class, () -> SimplexEtf.prototypes(k, k - 1, 11));
    }
}
