package io.protospark.jobs.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The PyTorch state-dict reader on files a real {@code torch.save} wrote ({@code bench/make_torch_fixture.py}, PyTorch
 * 1.13): float32, a transposed view sharing a storage, float16, bfloat16, a float64 slice at an offset, int64 and
 * float scalars; the expected values are what PyTorch printed for the same tensors.
 */
class TorchStateDictTest {
    private static InputStream resource(String name) {
        InputStream in = TorchStateDictTest.class.getResourceAsStream("/torch/" + name);
        assertTrue(in != null, name);
        return in;
    }

    @Test
    void readsEveryTensorAsPyTorchHoldsIt() throws IOException {
        Map<String, TorchStateDict.Tensor> sd;
        try (InputStream in = resource("state_dict.pth")) {
            sd = TorchStateDict.read(in, "state_dict.pth");
        }
        JsonNode expected;
        try (InputStream in = resource("state_dict.json")) {
            expected = new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(java.util.Set.of("conv.weight", "fc.weight_t", "half", "bf16", "double_slice",
                "bn.num_batches_tracked", "scalar"), sd.keySet());
        for (var it = expected.fields(); it.hasNext(); ) {
            var e = it.next();
            TorchStateDict.Tensor t = sd.get(e.getKey());
            long[] shape = new long[e.getValue().get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = e.getValue().get("shape").get(i).asLong();
            }
            assertArrayEquals(shape, t.shape(), e.getKey());
            JsonNode values = e.getValue().get("values");
            assertEquals(values.size(), t.values().length, e.getKey());
            for (int i = 0; i < values.size(); i++) {
                assertEquals((float) values.get(i).asDouble(), t.values()[i], 0f, e.getKey() + "[" + i + "]");
            }
        }
        assertEquals("float16", sd.get("half").dtype());
        assertEquals("bfloat16", sd.get("bf16").dtype());
        assertEquals("float64", sd.get("double_slice").dtype());
        assertEquals(17f, sd.get("bn.num_batches_tracked").values()[0]);
    }

    @Test
    void refusesTheLegacyFormatAWholeModuleAndNonZipFilesSayingWhatToDo() throws IOException {
        try (InputStream in = resource("legacy.pth")) {
            IOException e = assertThrows(IOException.class, () -> TorchStateDict.read(in, "legacy.pth"));
            assertTrue(e.getMessage().contains("legacy.pth") && e.getMessage().contains("legacy")
                    && e.getMessage().contains("re-save"), e.getMessage());
        }
        try (InputStream in = resource("module.pth")) {
            IOException e = assertThrows(IOException.class, () -> TorchStateDict.read(in, "module.pth"));
            assertTrue(e.getMessage().contains("module.pth") && e.getMessage().contains("state_dict()"),
                    e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> TorchStateDict.read(
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.US_ASCII)), "x.pth"));
        assertTrue(e.getMessage().contains("x.pth is not a PyTorch zip file"), e.getMessage());
    }

    @Test
    void halfPrecisionWidensExactly() {
        assertEquals(1f, TorchStateDict.halfToFloat((short) 0x3c00));
        assertEquals(-2f, TorchStateDict.halfToFloat((short) 0xc000));
        assertEquals(65504f, TorchStateDict.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, TorchStateDict.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, TorchStateDict.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(TorchStateDict.halfToFloat((short) 0x7e00)));
        assertEquals(-0f, TorchStateDict.halfToFloat((short) 0x8000));
    }
}
