package io.protospark.jobs.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The arcface_torch → protospark IResNet mapping, on the key list and shapes of a real arcface_torch IResNet-18 state
 * dict ({@code torch/iresnet18-keys.json}, written by {@code bench/make_torch_fixture.py}) filled with random values:
 * every parameter filled in its layout, BatchNorm computing what PyTorch's formula gives, and missing, unexpected and
 * mis-shaped keys refused by name. Embedding parity with PyTorch itself is measured by
 * {@code bench/pretrained/import_parity.sh} (PyTorch is not in CI).
 */
class IResNetImportTest {
    private static List<JsonNode> keys;

    @BeforeAll
    static void readKeys() throws IOException {
        try (InputStream in = IResNetImportTest.class.getResourceAsStream("/torch/iresnet18-keys.json")) {
            keys = new ArrayList<>();
            new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)).forEach(keys::add);
        }
    }

    static ComputationGraph network(String... extra) {
        List<String> o = new ArrayList<>(List.of("model.backbone=iresnet18", "model.input.height=112",
                "model.input.width=112", "model.input.channels=3", "model.embedding-dim=512", "model.classes=10",
                "model.head.kind=learned"));
        o.addAll(List.of(extra));
        Config c = Configs.load(null, "test", o);
        ModelSettings m = ModelSettings.from(c);
        return Networks.build(m, Prototypes.build(m));
    }

    /** The fixture's keys with seeded random values; running variances positive. */
    static Map<String, TorchStateDict.Tensor> stateDict(long seed) {
        Random r = new Random(seed);
        Map<String, TorchStateDict.Tensor> sd = new LinkedHashMap<>();
        for (JsonNode k : keys) {
            long[] shape = new long[k.get(1).size()];
            int n = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = k.get(1).get(i).asLong();
                n *= (int) shape[i];
            }
            float[] v = new float[n];
            boolean var = k.get(0).asText().endsWith("running_var");
            for (int i = 0; i < n; i++) {
                v[i] = var ? 0.5f + r.nextFloat() : (float) r.nextGaussian() * 0.1f;
            }
            sd.put(k.get(0).asText(), new TorchStateDict.Tensor(k.get(2).asText().replace("torch.", ""), shape, v));
        }
        return sd;
    }

    @Test
    void fillsEveryParameterInItsLayout() {
        ComputationGraph net = network();
        Map<String, TorchStateDict.Tensor> sd = stateDict(1);
        IResNetImport.Report r = IResNetImport.apply(sd, net, "fixture");
        long torchValues = sd.entrySet().stream().filter(e -> !e.getKey().endsWith("num_batches_tracked"))
                .mapToLong(e -> e.getValue().numel()).sum();
        assertEquals(torchValues, r.parameters(), "every value of the state dict lands in one parameter");
        assertEquals(156, r.tensors());
        // a convolution as it is: [out, in, kh, kw] on both sides
        TorchStateDict.Tensor conv = sd.get("layer2.0.conv2.weight");
        INDArray w = net.getLayer("s2b1_conv2").getParam("W");
        assertArrayEquals(conv.shape(), w.shape());
        assertEquals(conv.values()[7 * 128 * 9 + 5 * 9], w.getFloat(7, 5, 0, 0), 0f);
        // the linear layer transposed: torch fc.weight[o][i] = DL4J W[i][o]
        TorchStateDict.Tensor fc = sd.get("fc.weight");
        INDArray fw = net.getLayer("fc").getParam("W");
        assertEquals(fc.values()[3 * 25088 + 1000], fw.getFloat(1000, 3), 0f);
        assertEquals(sd.get("fc.bias").values()[511], net.getLayer("fc").getParam("b").getFloat(511), 0f);
        // PReLU slopes in the ChannelPrelu layer
        assertEquals(sd.get("layer4.1.prelu.weight").values()[300],
                net.getLayer("s4b2_prelu").getParam("a").getFloat(300), 0f);
        // BatchNorm: DL4J's running variance (10^log10σ)² is PyTorch's
        float var = sd.get("layer3.0.downsample.1.running_var").values()[17];
        double log10s = net.getLayer("s3b1_sc_bn").getParam("log10stdev").getDouble(17);
        assertEquals(var, Math.pow(Math.pow(10, log10s), 2), 1e-6 * var);
    }

    @Test
    void batchNormComputesPyTorchsFormula() {
        ComputationGraph net = network();
        Map<String, TorchStateDict.Tensor> sd = stateDict(2);
        IResNetImport.apply(sd, net, "fixture");
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 112, 112);
        Map<String, INDArray> acts = net.feedForward(new INDArray[]{x}, false, false);
        INDArray conv = acts.get("stem_conv");
        INDArray bn = acts.get("stem_bn");
        float[] g = sd.get("bn1.weight").values();
        float[] b = sd.get("bn1.bias").values();
        float[] mu = sd.get("bn1.running_mean").values();
        float[] var = sd.get("bn1.running_var").values();
        for (int c : new int[]{0, 13, 63}) {
            double in = conv.getDouble(1, c, 40, 77);
            double expected = (in - mu[c]) / Math.sqrt(var[c] + 1e-5) * g[c] + b[c];
            assertEquals(expected, bn.getDouble(1, c, 40, 77), 1e-4 * Math.max(1, Math.abs(expected)), "channel " + c);
        }
    }

    @Test
    void refusesMissingUnexpectedAndMisShapedKeysListingThem() {
        Map<String, TorchStateDict.Tensor> sd = stateDict(4);
        sd.remove("layer1.1.bn2.running_mean");
        sd.put("layer5.0.conv1.weight", new TorchStateDict.Tensor("float32", new long[]{1}, new float[1]));
        sd.put("layer2.0.conv1.weight", new TorchStateDict.Tensor("float32", new long[]{128, 32, 3, 3},
                new float[128 * 32 * 9]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IResNetImport.apply(sd, network(), "backbone.pth"));
        String m = e.getMessage();
        assertTrue(m.contains("backbone.pth") && m.contains("1 missing") && m.contains("s1b2_bn2.mean")
                && m.contains("layer1.1.bn2.running_mean"), m);
        assertTrue(m.contains("1 unexpected") && m.contains("layer5.0.conv1.weight"), m);
        assertTrue(m.contains("1 of another shape") && m.contains("layer2.0.conv1.weight: [128, 32, 3, 3]")
                && m.contains("[128, 64, 3, 3]"), m);
        // a deeper file than the network: IResNet-34's blocks have no layer here
        Map<String, TorchStateDict.Tensor> deeper = stateDict(5);
        deeper.put("layer3.2.bn1.weight", new TorchStateDict.Tensor("float32", new long[]{256}, new float[256]));
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> IResNetImport.apply(deeper, network(), "x.pth"));
        assertTrue(d.getMessage().contains("no layer s3b3_bn1"), d.getMessage());
    }

    @Test
    void stripsDataParallelsPrefixAndDropsTheBottleneckOfTheRevisedNetwork() {
        Map<String, TorchStateDict.Tensor> prefixed = new LinkedHashMap<>();
        stateDict(6).forEach((k, v) -> prefixed.put("module." + k, v));
        List<String> notes = new ArrayList<>();
        Map<String, TorchStateDict.Tensor> sd = ImportJob.withoutPrefix(prefixed, notes);
        assertEquals(List.of("the DataParallel prefix module. was stripped from every key"), notes);
        assertTrue(sd.containsKey("conv1.weight"));
        ComputationGraph revised = network("model.dam.revised=true", "model.embedding-dim=64");
        IResNetImport.Report r = IResNetImport.apply(sd, revised, "fixture");
        assertEquals(List.of("fc.weight", "fc.bias", "features.weight", "features.bias", "features.running_mean",
                "features.running_var"), r.dropped());
    }
}
