package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.protospark.jobs.common.Json;
import io.protospark.model.prototype.PrototypeKind;
import io.protospark.model.prototype.PrototypeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code protospark prototypes}: flags, the JSON line, the .npy and its sidecar; no Spark. */
class PrototypesJobTest {
    @TempDir
    Path tmp;


    @Test
    void estimatedPrototypesAreWrittenWithSidecarAndReported() throws Exception {
        Path file = tmp.resolve("p.npy");
        CommandRun o = CommandRun.of("prototypes", "--kind", "estimated", "--classes", "40", "--dim", "6", "--seed", "3",
                "--epochs", "50", "--radius", "2.5", "--out", file.toString());
        assertEquals(0, o.code(), o.err());
        String[] lines = o.out().strip().split("\n");
        assertEquals(1, lines.length, o.out());
        JsonNode j = Json.MAPPER.readTree(lines[0]);
        assertEquals(List.of("kind", "classes", "dim", "max_cosine", "min_cosine", "bound", "bound_attainable",
                "radius", "seconds", "out"), iterableToList(j.fieldNames()));
        assertEquals("estimated", j.get("kind").asText());
        assertEquals(40, j.get("classes").asInt());
        assertEquals(6, j.get("dim").asInt());
        assertEquals(-1.0 / 39, j.get("bound").asDouble(), 1e-15);
        assertFalse(j.get("bound_attainable").asBoolean());
        assertEquals(2.5, j.get("radius").asDouble(), 1e-12);

        PrototypeSet p = PrototypeSet.read(file);
        assertEquals(PrototypeKind.ESTIMATED, p.kind());
        assertEquals(40, p.classes());
        assertEquals(j.get("max_cosine").asDouble(), p.maxCosine(), 0.0);
        assertEquals(3L, p.seed().orElseThrow());
        assertEquals(50L, p.parameters().get("iterations"));
        assertTrue(Files.exists(tmp.resolve("p.json")));
        assertFalse(Files.exists(tmp.resolve(".p.npy.crc")), "no checksum litter");

        // same seed, same bytes
        Path again = tmp.resolve("q.npy");
        assertEquals(0, CommandRun.of("prototypes", "--kind", "estimated", "--classes", "40", "--dim", "6", "--seed", "3",
                "--epochs", "50", "--radius", "2.5", "--out", again.toString()).code());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
    }

    @Test
    void closedFormKindsTakeConfigOverridesToo() throws Exception {
        Path file = tmp.resolve("dsc.npy");
        CommandRun o = CommandRun.of("prototypes", "--kind", "dsc-centres", "--classes", "5", "--dim", "8", "--out",
                file.toString(), "model.head.dsc-subset=true");
        assertEquals(0, o.code(), o.err());
        JsonNode j = Json.MAPPER.readTree(o.out());
        assertEquals(-1.0 / 8, j.get("max_cosine").asDouble(), 1e-12);
        assertEquals(Boolean.TRUE, PrototypeSet.read(file).parameters().get("dsc_subset"));
    }

    @Test
    void impossibleShapesAndMissingOutAreUsageErrors() {
        CommandRun cube = CommandRun.of("prototypes", "--kind", "d-cube", "--classes", "10", "--dim", "3", "--out",
                tmp.resolve("c.npy").toString());
        assertEquals(2, cube.code());
        assertTrue(cube.err().contains("d-cube in 3 dimensions holds at most 8 classes, K = 10; found 3; "
                + "use embedding-dim >= 4"), cube.err());
        CommandRun noOut = CommandRun.of("prototypes", "--kind", "simplex");
        assertEquals(2, noOut.code());
        assertTrue(noOut.err().contains("'protospark.prototypes.out': is required"), noOut.err());
        CommandRun kind = CommandRun.of("prototypes", "--kind", "cube", "--out", tmp.resolve("c.npy").toString());
        assertEquals(2, kind.code());
        assertTrue(kind.err().contains("must be one of [simplex, d-cube"), kind.err());
        CommandRun flag = CommandRun.of("prototypes", "--dims", "3");
        assertEquals(2, flag.code());
        assertTrue(flag.err().contains("unknown flag --dims for 'prototypes'"), flag.err());
    }

    @Test
    void validateBuildsTheConfiguredKind() {
        CommandRun o = CommandRun.of("validate", "model.head.prototypes=orthoplex", "model.embedding-dim=5");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("prototypes: orthoplex, shape 10x5"), o.out());
    }

    private static List<String> iterableToList(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
