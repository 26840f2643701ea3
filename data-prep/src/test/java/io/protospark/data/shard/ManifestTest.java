package io.protospark.data.shard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.data.io.DataFormatException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestTest {
    private static final String HASH = "ab".repeat(32);

    static Manifest sample() {
        return new Manifest(1, "idx", 2, List.of("cat", "dog"), new Manifest.Image(28, 28, 1),
                Map.of("train", new Manifest.Split(5, List.of(2L, 3L))),
                List.of(new Manifest.ShardFile("train/part-00000.parquet", "train", 5, HASH)),
                new Manifest.Source("file:/raw", List.of(new Manifest.SourceFile("train-images-idx3-ubyte.gz", HASH))),
                "2026-01-02T03:04:05.678Z");
    }

    @Test
    void jsonRoundTripUsesTheDocumentedNames() throws Exception {
        Manifest m = sample();
        String json = m.toJson();
        JsonNode tree = new ObjectMapper().readTree(json);
        assertEquals(1, tree.get("version").asInt());
        assertEquals("cat", tree.get("class_names").get(0).asText());
        assertEquals(3, tree.get("splits").get("train").get("per_class").get(1).asInt());
        assertEquals(28, tree.get("image").get("height").asInt());
        assertEquals(HASH, tree.get("files").get(0).get("sha256").asText());
        assertEquals("file:/raw", tree.get("source").get("input").asText());
        assertEquals(m, Manifest.parse(json, "test"));
    }

    @Test
    void inconsistentManifestsAreRefused() {
        String json = sample().toJson();
        String m = assertThrows(DataFormatException.class,
                () -> Manifest.parse(json.replace("\"version\" : 1", "\"version\" : 2"), "x.json")).getMessage();
        assertTrue(m.contains("x.json") && m.contains("version 2"), m);
        m = assertThrows(DataFormatException.class,
                () -> Manifest.parse(json.replace("\"examples\" : 5", "\"examples\" : 6"), "x.json")).getMessage();
        assertTrue(m.contains("x.json") && m.contains("split 'train'"), m);
        m = assertThrows(DataFormatException.class,
                () -> Manifest.parse(json.replace("train/part-00000", "../part-00000"), "x.json")).getMessage();
        assertTrue(m.contains("must be relative"), m);
        assertThrows(DataFormatException.class, () -> Manifest.parse("{\"version\": 1", "x.json"));
    }

    @Test
    void missingManifestSaysToRunPrepare(@TempDir Path dir) {
        String m = assertThrows(DataFormatException.class,
                () -> ShardSet.open(dir.toUri(), new Configuration())).getMessage();
        assertTrue(m.contains(dir.resolve("manifest.json").toString()), m);
        assertTrue(m.contains("protospark prepare"), m);
    }
}
