package io.protospark.model.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DecisionTest {

    /** DSC centres (FindCenters(k, E)): the k+1 vertices of a regular simplex of radius E in k dimensions. */
    private static double[][] simplexCentres(int k, double radius) {
        double[][] c = new double[k + 1][k];
        double a = -(1 + Math.sqrt(k + 1.0)) / Math.pow(k, 1.5);
        double delta = Math.sqrt((k + 1.0) / k);
        for (int j = 0; j < k; j++) {
            c[0][j] = radius / Math.sqrt(k);
        }
        for (int i = 1; i <= k; i++) {
            for (int j = 0; j < k; j++) {
                c[i][j] = radius * (a + (i - 1 == j ? delta : 0));
            }
        }
        return c;
    }

    private static double[][] gaussian(Random r, int n, int d, double scale) {
        double[][] a = new double[n][d];
        for (double[] row : a) {
            for (int j = 0; j < d; j++) {
                row[j] = scale * r.nextGaussian();
            }
        }
        return a;
    }

    // ---- brute force, one pair at a time, double precision ----

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += a[j] * b[j];
        }
        return s;
    }

    private static double dist(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += (a[j] - b[j]) * (a[j] - b[j]);
        }
        return Math.sqrt(s);
    }

    private static double cos(double[] a, double[] b) {
        return dot(a, b) / Math.max(Math.sqrt(dot(a, a)) * Math.sqrt(dot(b, b)), 1e-12);
    }

    private static int bruteForce(Decision rule, double[] f, double[][] s) {
        int best = -1;
        double bestValue = 0;
        for (int k = 0; k < s.length; k++) {
            double v = switch (rule) {
                case DOT -> dot(f, s[k]);
                case COSINE -> cos(f, s[k]);
                case EUCLIDEAN -> -dist(f, s[k]);
                case COMBINED -> -dist(f, s[k]) / (2 + cos(f, s[k]));
            };
            if (best < 0 || v > bestValue) {
                best = k;
                bestValue = v;
            }
        }
        return best;
    }

    private static double bruteScore(double[] f, double[][] s) {
        double best = 0;
        for (double[] c : s) {
            double d = dist(f, c);
            best = Math.max(best, 1 / (1 + d * d));
        }
        return best;
    }

    @Test
    void featureOnACentrePredictsThatCentreUnderEveryRule() {
        // METHODS §7 item 14; radius 1000 as in the DSC runs, float and double
        double[][] centres = simplexCentres(9, 1000);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray s = Nd4j.create(centres).castTo(dt);
            INDArray f = s.dup();
            int[] expected = new int[centres.length];
            for (int k = 0; k < expected.length; k++) {
                expected[k] = k;
            }
            for (Decision rule : Decision.values()) {
                assertArrayEquals(expected, rule.predict(f, s), rule + " in " + dt);
            }
        }
    }

    @Test
    void openSetScoreIsOneExactlyAtACentreAndInUnitInterval() {
        // METHODS §7 item 12, including float at radius 1000 where the expanded distance is off by far more than 0
        double[][] centres = simplexCentres(12, 1000);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray s = Nd4j.create(centres).castTo(dt);
            double[] atCentres = Decision.openSetScore(s.dup(), s);
            for (double v : atCentres) {
                assertEquals(1.0, v, 0.0, "score at a centre in " + dt);
            }
            INDArray f = Nd4j.create(gaussian(new Random(3), 50, 12, 300)).castTo(dt);
            for (double v : Decision.openSetScore(f, s)) {
                assertTrue(v > 0 && v <= 1, "score " + v + " outside (0, 1]");
            }
        }
        // moving away from the nearest centre lowers the score: 1/(1 + t²)
        INDArray s = Nd4j.create(centres);
        double[] prev = {2.0};
        for (double t : new double[] {0, 0.5, 1, 3, 10}) {
            INDArray f = s.getRow(4).dup().reshape(1, 12);
            f.putScalar(0, 0, f.getDouble(0, 0) + t);
            double v = Decision.openSetScore(f, s)[0];
            assertEquals(1 / (1 + t * t), v, 1e-12);
            assertTrue(v < prev[0]);
            prev[0] = v;
        }
    }

    @Test
    void matchesBruteForceOnRandomData() {
        Random r = new Random(42);
        double[][] s = gaussian(r, 37, 16, 1.0);
        // prototypes of different norms so that DOT, COSINE and EUCLIDEAN disagree somewhere
        for (int k = 0; k < s.length; k++) {
            for (int j = 0; j < 16; j++) {
                s[k][j] *= 0.5 + (k % 5) * 0.4;
            }
        }
        double[][] f = gaussian(r, 200, 16, 1.5);
        Decision.Outcome all = Decision.evaluateAll(Nd4j.create(f), Nd4j.create(s));
        boolean[] differ = new boolean[1];
        for (Decision rule : Decision.values()) {
            int[] got = rule.predict(Nd4j.create(f), Nd4j.create(s));
            assertArrayEquals(got, all.predictions(rule), rule + ": evaluateAll agrees with predict");
            for (int i = 0; i < f.length; i++) {
                assertEquals(bruteForce(rule, f[i], s), got[i], rule + " row " + i);
                differ[0] |= got[i] != bruteForce(Decision.DOT, f[i], s);
            }
        }
        assertTrue(differ[0], "the data should make the rules disagree somewhere");
        double[] scores = Decision.openSetScore(Nd4j.create(f), Nd4j.create(s));
        assertArrayEquals(scores, all.openSetScores(), 0.0);
        for (int i = 0; i < f.length; i++) {
            assertEquals(bruteScore(f[i], s), scores[i], 1e-12, "score row " + i);
        }
    }

    @Test
    void fromDotsMatchesBruteForceAndRefusesMismatchedRows() {
        Random r = new Random(11);
        double[][] s = gaussian(r, 23, 8, 1.0);
        for (int k = 0; k < s.length; k++) {
            for (int j = 0; j < 8; j++) {
                s[k][j] *= 0.3 + (k % 4) * 0.5;
            }
        }
        double[][] f = gaussian(r, 150, 8, 1.2);
        double[][] dots = new double[f.length][s.length];
        double[] fSq = new double[f.length];
        double[] sSq = new double[s.length];
        for (int k = 0; k < s.length; k++) {
            sSq[k] = dot(s[k], s[k]);
        }
        for (int i = 0; i < f.length; i++) {
            fSq[i] = dot(f[i], f[i]);
            for (int k = 0; k < s.length; k++) {
                dots[i][k] = dot(f[i], s[k]);
            }
        }
        Decision.Outcome o = Decision.fromDots(dots, fSq, sSq);
        for (Decision rule : Decision.values()) {
            for (int i = 0; i < f.length; i++) {
                assertEquals(bruteForce(rule, f[i], s), o.predictions(rule)[i], rule + " row " + i);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Decision.fromDots(dots, new double[3], sSq));
        assertEquals("150 rows of dot products but 3 squared norms", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Decision.fromDots(dots, fSq, new double[5]));
    }

    @Test
    void chunkedEvaluationEqualsOnePass() {
        Random r = new Random(7);
        INDArray s = Nd4j.create(gaussian(r, 10, 6, 1.0));
        INDArray f = Nd4j.create(gaussian(r, 33, 6, 1.0));
        Decision.Outcome one = Decision.evaluate(f, s, null, true, Integer.MAX_VALUE);
        for (int entries : new int[] {1, 10, 25, 70}) {
            Decision.Outcome chunked = Decision.evaluate(f, s, null, true, entries);
            for (Decision rule : Decision.values()) {
                assertArrayEquals(one.predictions(rule), chunked.predictions(rule), rule + ", chunk " + entries);
            }
            assertArrayEquals(one.openSetScores(), chunked.openSetScores(), 0.0);
        }
    }

    @Test
    void tiesGoToTheLowestIndex() {
        // rows 1 and 3 identical, row 0 far away: a feature on them is tied between 1 and 3 under every rule
        double[][] s = {{-5, -5, -5}, {1, 2, 3}, {0, 0, -9}, {1, 2, 3}};
        INDArray f = Nd4j.create(new double[][] {{1, 2, 3}, {1.1, 2, 2.9}, {2, 4, 6}});
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (Decision rule : Decision.values()) {
                assertArrayEquals(new int[] {1, 1, 1}, rule.predict(f.castTo(dt), Nd4j.create(s).castTo(dt)),
                        rule + " in " + dt);
            }
        }
        // a zero feature has cosine 0 with everything: all tied, class 0
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, 3);
        assertArrayEquals(new int[] {0}, Decision.COSINE.predict(zero, Nd4j.create(s)));
    }

    @Test
    void floatEmbeddingsAgainstDoublePrototypesAndEmptyInput() {
        INDArray s = Nd4j.create(simplexCentres(4, 10));
        INDArray f = s.castTo(DataType.FLOAT);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, Decision.COMBINED.predict(f, s));
        assertEquals(0, Decision.EUCLIDEAN.predict(Nd4j.zeros(DataType.DOUBLE, 0, 4), s).length);
    }

    @Test
    void rejectsMismatchedShapesNamingThem() {
        INDArray s = Nd4j.zeros(DataType.DOUBLE, 5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Decision.DOT.predict(Nd4j.zeros(DataType.DOUBLE, 2, 4), s));
        assertTrue(e.getMessage().contains("N×3") && e.getMessage().contains("[2, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Decision.openSetScore(Nd4j.zeros(DataType.DOUBLE, 2, 3), Nd4j.zeros(DataType.DOUBLE, 3)));
        assertTrue(e.getMessage().contains("K×d"), e.getMessage());
    }

    @Test
    void namesParseAndUnknownNamesAreListed() {
        for (Decision d : Decision.values()) {
            assertSame(d, Decision.fromName(d.configName().toUpperCase()));
        }
        assertSame(Decision.COMBINED, Decision.fromName(" combined "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Decision.fromName("euc_cos"));
        assertTrue(e.getMessage().contains("euc_cos") && e.getMessage().contains("combined"), e.getMessage());
    }

    @Test
    void ruleAndOutcomeSurviveJavaSerialization() throws Exception {
        Decision.Outcome o = Decision.evaluateAll(Nd4j.create(new double[][] {{1, 0}, {0, 2}}),
                Nd4j.create(new double[][] {{1, 0}, {0, 1}}));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(Decision.COMBINED);
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertSame(Decision.COMBINED, in.readObject());
            Decision.Outcome back = (Decision.Outcome) in.readObject();
            assertArrayEquals(new int[] {0, 1}, back.predictions(Decision.COMBINED));
            assertArrayEquals(o.openSetScores(), back.openSetScores(), 0.0);
            assertEquals(1.0, back.openSetScores()[0], 0.0);
            assertEquals(0.5, back.openSetScores()[1], 1e-15);
        }
    }
}
