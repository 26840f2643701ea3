package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.protospark.jobs.common.Json;
import io.protospark.model.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code protospark assign} through {@link Main#execute}: JSON line, output file, refusals. No Spark. */
class AssignJobTest {
    @TempDir
    Path tmp;


    private Path matrix(String name, double[][] m) throws Exception {
        Path p = tmp.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            Npy.writeMatrix(o, m);
        }
        return p;
    }

    /** A float32 .npy (the dtype of embeddings), written by hand. */
    private Path floatMatrix(String name, float[] m, int rows, int cols) throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * m.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float x : m) {
            b.putFloat(x);
        }
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static int[] readAssignment(Path p) throws Exception {
        try (InputStream in = Files.newInputStream(p)) {
            return Npy.readIntVector(in, p.toString());
        }
    }

    @Test
    void denseTrapCasePrintsOneJsonLineAndWritesTheAssignment() throws Exception {
        Path cost = matrix("trap.npy", new double[][] {{0.9, 0.8}, {0.85, 0.1}});
        Path out = tmp.resolve("sub/sigma.npy");
        CommandRun o = CommandRun.of("assign", "--cost", cost.toString(), "--maximize", "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        String[] lines = o.out().strip().split("\n");
        assertEquals(1, lines.length, o.out());
        JsonNode j = Json.MAPPER.readTree(lines[0]);
        assertEquals(1.65, j.get("objective").asDouble(), 1e-12);
        assertTrue(j.get("seconds").asDouble() >= 0);
        assertEquals(2, j.get("n").asInt());
        assertEquals("dense-lapjv", j.get("solver").asText());
        assertArrayEquals(new int[] {1, 0}, readAssignment(out));
        // minimising the same matrix picks the other permutation
        CommandRun min = CommandRun.of("assign", "--cost", cost.toString(), "--out", out.toString());
        assertEquals(0, min.code(), min.err());
        assertEquals(1.0, Json.MAPPER.readTree(min.out()).get("objective").asDouble(), 1e-12);
        assertArrayEquals(new int[] {0, 1}, readAssignment(out));
    }

    @Test
    void sparseRecoversAHiddenPermutationAndReportsProof() throws Exception {
        Random rnd = new Random(8);
        int k = 500;
        int d = 24;
        float[] p = new float[k * d];
        for (int x = 0; x < p.length; x++) {
            p[x] = (float) rnd.nextGaussian();
        }
        int[] pi = shuffled(k, rnd);
        float[] q = new float[k * d];
        for (int i = 0; i < k; i++) {
            for (int t = 0; t < d; t++) {
                q[i * d + t] = p[pi[i] * d + t] + (float) (0.1 * rnd.nextGaussian());
            }
        }
        Path classes = floatMatrix("classes.npy", q, k, d);
        Path protos = floatMatrix("protos.npy", p, k, d);
        Path out = tmp.resolve("sigma.npy");
        CommandRun o = CommandRun.of("assign", "--classes", classes.toString(), "--prototypes", protos.toString(), "--out",
                out.toString(), "--k", "8", "assign.dense-gap-up-to=1000");
        assertEquals(0, o.code(), o.err());
        JsonNode j = Json.MAPPER.readTree(o.out().strip());
        assertTrue(j.get("proven_optimal").asBoolean(), o.out());
        assertEquals(1, j.get("rounds").asInt(), o.out());
        assertEquals(k * 8L, j.get("edges").asLong(), o.out());
        assertEquals(0, j.get("gap").asDouble(), 1e-9, o.out());
        assertEquals(k, j.get("n").asInt());
        assertEquals("sparse-topk-8", j.get("solver").asText()); // K = 500: the automatic prefix is off
        assertArrayEquals(pi, readAssignment(out));
    }

    @Test
    void badInputExitsNamingTheFileAndTheProblem() throws Exception {
        Path missing = tmp.resolve("nope.npy");
        CommandRun m = CommandRun.of("assign", "--cost", missing.toString(), "--out", tmp.resolve("s.npy").toString());
        assertEquals(1, m.code());
        assertTrue(m.err().contains("nope.npy: no such file"), m.err());

        Path rect = matrix("rect.npy", new double[][] {{1, 2, 3}, {4, 5, 6}});
        CommandRun r = CommandRun.of("assign", "--cost", rect.toString(), "--out", tmp.resolve("s.npy").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("rect.npy: the cost matrix must be square (n x n), found 2 x 3"), r.err());

        Path nan = matrix("nan.npy", new double[][] {{1, 2}, {Double.NaN, 4}});
        CommandRun n = CommandRun.of("assign", "--cost", nan.toString(), "--maximize", "--out", tmp.resolve("s.npy").toString());
        assertEquals(1, n.code());
        assertTrue(n.err().contains("nan.npy") && n.err().contains("row 1, column 0 is NaN"), n.err());

        Path notNpy = tmp.resolve("text.npy");
        Files.writeString(notNpy, "hello, this is text and not an array");
        CommandRun t = CommandRun.of("assign", "--cost", notNpy.toString(), "--out", tmp.resolve("s.npy").toString());
        assertEquals(1, t.code());
        assertTrue(t.err().contains("text.npy: not a .npy file"), t.err());

        CommandRun both = CommandRun.of("assign", "--cost", rect.toString(), "--classes", rect.toString(), "--out", "x.npy");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("not both"), both.err());
        CommandRun noOut = CommandRun.of("assign", "--cost", rect.toString());
        assertEquals(2, noOut.code());
        assertTrue(noOut.err().contains("protospark.assign.out") && noOut.err().contains("--out FILE.npy"),
                noOut.err());
    }

    @Test
    void fileUrisAreReadAndTheOutputIsPublishedAtomicallyReplacingAnOldOne() throws Exception {
        Path cost = matrix("identity.npy", new double[][] {{0.9, 0.1, 0.3}, {0.8, 0.7, 0.2}, {0.1, 0.6, 0.5}});
        Path dir = tmp.resolve("new/dir");
        Path out = dir.resolve("sigma.npy");
        CommandRun o = CommandRun.of("assign", "--cost", cost.toUri().toString(), "--maximize", "--out",
                out.toUri().toString());
        assertEquals(0, o.code(), o.err());
        assertEquals(2.1, Json.MAPPER.readTree(o.out().strip()).get("objective").asDouble(), 1e-12);
        assertArrayEquals(new int[] {0, 1, 2}, readAssignment(out));
        // only the output in the directory: no temporary file, no Hadoop .crc side file
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of("sigma.npy"), files.map(f -> f.getFileName().toString()).toList());
        }
        // an existing output is replaced; "file:" URIs without "//" work as well
        CommandRun min = CommandRun.of("assign", "--cost", "file:" + cost, "--out", "file:" + out);
        assertEquals(0, min.code(), min.err());
        assertEquals(0.4, Json.MAPPER.readTree(min.out().strip()).get("objective").asDouble(), 1e-12);
        assertArrayEquals(new int[] {1, 2, 0}, readAssignment(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aFailedSolveLeavesAnExistingOutputUntouched() throws Exception {
        Path out = tmp.resolve("sigma.npy");
        Path good = matrix("good.npy", new double[][] {{0.9, 0.8}, {0.85, 0.1}});
        assertEquals(0, CommandRun.of("assign", "--cost", good.toString(), "--maximize", "--out", out.toString())
                .code());
        byte[] before = Files.readAllBytes(out);
        Path inf = matrix("inf.npy", new double[][] {{1, Double.POSITIVE_INFINITY}, {3, 4}});
        CommandRun r = CommandRun.of("assign", "--cost", inf.toUri().toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(inf.toUri() + ": ") && r.err().contains("row 0, column 1 is Infinity"),
                r.err());
        assertArrayEquals(before, Files.readAllBytes(out));
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void errorsNameTheFileAndWhatWasExpected() throws Exception {
        Path s = tmp.resolve("s.npy");
        CommandRun missing = CommandRun.of("assign", "--cost", "file:" + tmp.resolve("gone.npy"), "--out", s.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("file:" + tmp.resolve("gone.npy") + ": no such file; expected an n x n cost "
                + "matrix"), missing.err());

        CommandRun dir = CommandRun.of("assign", "--cost", tmp.toString(), "--out", s.toString());
        assertEquals(1, dir.code());
        assertTrue(dir.err().contains(tmp + ": is a directory; expected an n x n cost matrix"), dir.err());

        // a 1-d array is not a matrix
        Path vec = tmp.resolve("vec.npy");
        try (OutputStream o = Files.newOutputStream(vec)) {
            Npy.writeIntVector(o, new int[] {1, 2, 3});
        }
        CommandRun v = CommandRun.of("assign", "--cost", vec.toString(), "--out", s.toString());
        assertEquals(1, v.code());
        assertTrue(v.err().contains(vec + ": expected a 2-d matrix, found a 1-d array of shape (3,)")
                && v.err().contains("expected an n x n cost matrix"), v.err());

        // truncated data
        Path cut = matrix("cut.npy", new double[][] {{1, 2}, {3, 4}});
        byte[] bytes = Files.readAllBytes(cut);
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 8));
        CommandRun c = CommandRun.of("assign", "--cost", cut.toString(), "--out", s.toString());
        assertEquals(1, c.code());
        assertTrue(c.err().contains(cut + ": shape (2, 2) of <f8 needs 32 data bytes, file has 24"), c.err());

        // sparse: shapes that differ, and a NaN in the class memories
        Path q = floatMatrix("q.npy", new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        Path p = floatMatrix("p.npy", new float[] {1, 0, 0, 1}, 2, 2);
        CommandRun shape = CommandRun.of("assign", "--classes", q.toString(), "--prototypes", p.toString(), "--out",
                s.toString());
        assertEquals(1, shape.code());
        assertTrue(shape.err().contains("must have the same shape K x d; found 3 x 2 and 2 x 2"), shape.err());
        Path qn = floatMatrix("qn.npy", new float[] {1, 0, Float.NaN, 1}, 2, 2);
        CommandRun nan = CommandRun.of("assign", "--classes", "file://" + qn, "--prototypes", p.toString(), "--out",
                s.toString());
        assertEquals(1, nan.code());
        assertTrue(nan.err().contains("file://" + qn + ": class memories row 1, column 0 is NaN"), nan.err());
        CommandRun prefix = CommandRun.of("assign", "--classes", p.toString(), "--prototypes", p.toString(), "--out",
                s.toString(), "assign.prefix-dims=half");
        assertEquals(2, prefix.code());
        assertTrue(prefix.err().contains("protospark.assign.prefix-dims") && prefix.err().contains("auto"),
                prefix.err());
        assertTrue(Files.notExists(s));
    }

    @Test
    void aLargeCostFileGetsTheWarmUpAndTheSameAnswer() throws Exception {
        int n = 1500; // 18 MB of f8: the solve waits for the warm-up (compiling the solver while the command loads)
        Random rnd = new Random(3);
        double[][] c = new double[n][n];
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i][j] = rnd.nextDouble();
                flat[i * n + j] = c[i][j];
            }
        }
        Path cost = matrix("big.npy", c);
        Path out = tmp.resolve("sigma.npy");
        CommandRun o = CommandRun.of("assign", "--cost", cost.toString(), "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        JsonNode j = Json.MAPPER.readTree(o.out().strip());
        assertTrue(j.get("warmup_cpu_seconds").asDouble() > 0, o.out());
        assertTrue(j.get("warmup_wait_seconds").asDouble() >= 0, o.out());
        assertTrue(j.get("warmup_wait_seconds").asDouble() <= j.get("seconds").asDouble(), o.out());
        double best = io.protospark.model.assign.LinearAssignment.solveMin(flat, n).objective();
        assertEquals(best, j.get("objective").asDouble(), 1e-9 * best);
        // small files do not wait for it
        Path small = matrix("small.npy", new double[][] {{0.9, 0.8}, {0.85, 0.1}});
        CommandRun s = CommandRun.of("assign", "--cost", small.toString(), "--out", out.toString());
        assertTrue(Json.MAPPER.readTree(s.out().strip()).get("warmup_wait_seconds") == null, s.out());
    }

    @Test
    void threadsComeFromTheConfigurationAndAreChecked() throws Exception {
        Path cost = matrix("c.npy", new double[][] {{0.9, 0.8}, {0.85, 0.1}});
        Path out = tmp.resolve("sigma.npy");
        CommandLine auto = CommandLine.parse(new String[] {"assign", "--cost", cost.toString(), "--out", out.toString()});
        assertEquals(0, AssignJob.Settings.from(Main.loadConfig(auto)).threads(), "0 = automatic");
        CommandLine two = CommandLine.parse(new String[] {"assign", "--cost", cost.toString(), "--out", out.toString(),
                "assign.threads=2"});
        assertEquals(2, AssignJob.Settings.from(Main.loadConfig(two)).threads());
        CommandRun o = CommandRun.of("assign", "--cost", cost.toString(), "--maximize", "--out", out.toString(),
                "assign.threads=2");
        assertEquals(0, o.code(), o.err());
        assertArrayEquals(new int[] {1, 0}, readAssignment(out));
        CommandRun bad = CommandRun.of("assign", "--cost", cost.toString(), "--out", out.toString(),
                "assign.threads=-1");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("protospark.assign.threads"), bad.err());
    }

    private static int[] shuffled(int k, Random rnd) {
        int[] pi = new int[k];
        for (int i = 0; i < k; i++) {
            pi[i] = i;
        }
        for (int i = k - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = pi[i];
            pi[i] = pi[j];
            pi[j] = t;
        }
        return pi;
    }
}
