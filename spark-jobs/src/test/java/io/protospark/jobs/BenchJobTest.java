package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.model.backbone.Backbones;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command: its JSON line, its flag errors, and the analytic FLOP count it reports. */
class BenchJobTest {

    @Test
    void benchPrintsOneJsonLineWithTheThroughputKeys() throws Exception {
        CommandRun o = CommandRun.of("bench", "--model", "small-cnn", "--batch", "8", "--iterations", "2",
                "--warmup", "1", "--fast", "true");
        assertEquals(0, o.code(), o.err());
        List<String> lines = o.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), o.out());
        JsonNode j = new ObjectMapper().readTree(lines.get(0));
        assertEquals("small-cnn", j.get("model").asText());
        assertEquals(8, j.get("batch").asInt());
        assertTrue(j.get("fast").asBoolean());
        assertEquals(4, j.get("fast_layers").asInt(), "2 convolutions and 2 max-pools: " + j);
        for (String key : List.of("train_img_per_s", "infer_img_per_s", "gflops", "peak_rss_mb")) {
            assertTrue(j.get(key).asDouble() > 0, key + " in " + j);
        }
        // conv 1->16 and 16->32 (3x3, Same, 28x28 and 14x14), dense 1568->128->9->10
        double expected = 2.0 * (9 * 1 * 16 * 28 * 28 + 9 * 16 * 32 * 14 * 14 + 1568 * 128 + 128 * 9 + 9 * 10);
        assertEquals(expected / 1e9, j.get("gflop_per_img_fwd").asDouble(), 1e-6);
        assertEquals(3 * j.get("gflop_per_img_fwd").asDouble() * j.get("train_img_per_s").asDouble(),
                j.get("gflops").asDouble(), 0.01 * j.get("gflops").asDouble() + 1e-3);
    }

    @Test
    void resnet20FlopsAreCountedFromTheLayerShapes() {
        // stem 3->16 at 32x32; 6 convs 16->16 at 32x32; stage 2 and 3: the strided conv and its 3x3 shortcut conv,
        // then 5 convs at 16x16 (32 ch) and 8x8 (64 ch); softmax head 64 -> 10
        double expected = 2.0 * (27L * 16 * 1024 + 6L * 144 * 16 * 1024
                + 2L * 9 * 16 * 32 * 256 + 5L * 9 * 32 * 32 * 256
                + 2L * 9 * 32 * 64 * 64 + 5L * 9 * 64 * 64 * 64 + 64 * 10);
        double counted = BenchJob.forwardFlops(BenchJob.backboneWithHead("resnet20", new long[]{3, 32, 32}, 10),
                InputType.convolutional(32, 32, 3));
        assertEquals(expected, counted, 0.5);
    }

    @Test
    void spherenet9FlopsCountTheSphereConvolutions() {
        // 3 SphereConv 3x3 per group (128 at 32x32, 192 at 16x16, 256 at 8x8), fc6 a dense SphereConv 4096 -> 64,
        // softmax head 64 -> 10; the same count as bench/torch_bench.py's spherenet9 (1.272186 GFLOP)
        double expected = 2.0 * (9L * 3 * 128 * 1024 + 2L * 9 * 128 * 128 * 1024
                + 9L * 128 * 192 * 256 + 2L * 9 * 192 * 192 * 256
                + 9L * 192 * 256 * 64 + 2L * 9 * 256 * 256 * 64 + 4096L * 64 + 64 * 10);
        double counted = BenchJob.forwardFlops(BenchJob.backboneWithHead("spherenet9", new long[]{3, 32, 32}, 10),
                InputType.convolutional(32, 32, 3));
        assertEquals(expected, counted, 0.5);
    }

    @Test
    void unknownModelAndBadNumbersAreRefusedNamingTheFlag() {
        CommandRun m = CommandRun.of("bench", "--model", "resnet-20");
        assertEquals(2, m.code(), m.err());
        assertTrue(m.err().contains("protospark.bench.model") && m.err().contains("resnet-20")
                && m.err().contains("resnet20") && m.err().contains("small-cnn"), m.err());
        CommandRun b = CommandRun.of("bench", "--model", "resnet20", "--batch", "0");
        assertEquals(2, b.code(), b.err());
        assertTrue(b.err().contains("protospark.bench.batch") && b.err().contains("positive"), b.err());
        CommandRun f = CommandRun.of("bench", "--fast", "maybe");
        assertEquals(2, f.code(), f.err());
        assertTrue(f.err().contains("protospark.bench.fast"), f.err());
        CommandRun k = CommandRun.of("bench", "bench.iteration=3");
        assertEquals(2, k.code(), k.err());
        assertTrue(k.err().contains("protospark.bench.iteration"), k.err());
    }

    @Test
    void everyBackboneHasAnInputSizeItAccepts() {
        for (String name : Backbones.names()) {
            long[] s = BenchJob.inputShape(name);
            // building the configuration checks the minimum size of every backbone
            BenchJob.backboneWithHead(name, s, BenchJob.classes(name));
        }
        assertEquals(Backbones.names().size() + 1, BenchJob.models().size());
    }
}
