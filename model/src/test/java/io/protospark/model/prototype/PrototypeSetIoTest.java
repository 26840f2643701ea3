package io.protospark.model.prototype;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The .npy + JSON sidecar round trip of a PrototypeSet, and what a sidecar holds. */
class PrototypeSetIoTest {

    @Test
    void roundTripKeepsMatrixKindParametersAndSeed(@TempDir Path dir) throws IOException {
        PrototypeSpec spec = new PrototypeSpec(PrototypeKind.ESTIMATED, 12, 4, 2.5, 77, false,
                new PrototypeEstimator.Settings(EstimationObjective.SPREAD, 30, 0.1, 0.002));
        PrototypeSet p = Prototypes.build(spec);
        Path file = dir.resolve("protos.npy");
        p.write(file);
        assertTrue(Files.exists(dir.resolve("protos.json")));
        PrototypeSet back = PrototypeSet.read(file);
        assertEquals(p, back);
        assertEquals(OptionalLong.of(77), back.seed());
        assertEquals("spread", back.parameters().get("objective"));
        assertEquals(30L, back.parameters().get("iterations"));
        assertEquals(2.5, back.parameters().get("radius"));
        assertEquals(2.5, back.radius(), 1e-12);
        assertEquals(p.maxCosine(), back.maxCosine(), 0.0);
    }

    @Test
    void sidecarHoldsQualityAndNumPyReadsTheMatrixAsFloat64(@TempDir Path dir) throws IOException {
        PrototypeSet p = PrototypeSet.simplex(5);
        Path file = dir.resolve("s.npy");
        p.write(file);
        byte[] npy = Files.readAllBytes(file);
        String header = new String(npy, 0, 128, StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("'descr': '<f8'") && header.contains("'shape': (5, 4)"), header);
        String json = Files.readString(dir.resolve("s.json"));
        com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.parseString(json);
        assertEquals("protospark-prototypes", c.getString("format"));
        assertEquals("simplex", c.getString("kind"));
        assertEquals(-0.25, c.getDouble("quality.max_cosine"), 1e-12);
        assertEquals(-0.25, c.getDouble("quality.bound"), 1e-15);
        assertTrue(c.getBoolean("quality.bound_attainable"));
        assertTrue(!c.hasPath("seed"));
    }

    @Test
    void withoutSidecarTheMatrixIsAFileKindSet(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("user.npy");
        try (var out = Files.newOutputStream(file)) {
            io.protospark.model.io.Npy.writeMatrix(out, Polytopes.simplex(3));
        }
        PrototypeSet p = PrototypeSet.read(file);
        assertEquals(PrototypeKind.FILE, p.kind());
        assertEquals(Map.of(), p.parameters());
    }

    @Test
    void mismatchedSidecarIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a.npy");
        PrototypeSet.simplex(4).write(file);
        String json = Files.readString(dir.resolve("a.json")).replace("\"classes\" : 4", "\"classes\" : 5");
        IOException e = assertThrows(IOException.class, () -> PrototypeSet.read(Files.newInputStream(file),
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "a.npy"));
        assertEquals("a.npy: the matrix is 4x3 but its sidecar says 5x3", e.getMessage());
    }

    /** Files written by the first version of the sidecar layout stay readable and mean the same. */
    @Test
    void versionOneFilesStillRead() throws Exception {
        Path dir = Path.of(getClass().getResource("/prototypes/v1-dsc-centres-4x5.npy").toURI()).getParent();
        PrototypeSet dsc = PrototypeSet.read(dir.resolve("v1-dsc-centres-4x5.npy"));
        assertEquals(Prototypes.build(new PrototypeSpec(PrototypeKind.DSC_CENTRES, 4, 5, 2.0, 0, false,
                new PrototypeEstimator.Settings(EstimationObjective.SPREAD, 0, 0.1, 0.002))), dsc);
        PrototypeSet est = PrototypeSet.read(dir.resolve("v1-estimated-6x3.npy"));
        assertEquals(PrototypeKind.ESTIMATED, est.kind());
        assertEquals(OptionalLong.of(1), est.seed());
        assertEquals("spread", est.parameters().get("objective"));
        assertEquals(6, est.classes());
        assertEquals(6.054261554117591E-4, est.maxCosine(), 1e-15);
    }

    @Test
    void permutedKeepsProvenance() {
        PrototypeSet p = PrototypeSet.of(PrototypeKind.ETF, SimplexEtf.prototypes(3, 3, 1), Map.of("radius", 1.0),
                OptionalLong.of(1));
        PrototypeSet q = p.permuted(new int[]{2, 0, 1});
        assertEquals(p.parameters(), q.parameters());
        assertEquals(p.seed(), q.seed());
    }
}
