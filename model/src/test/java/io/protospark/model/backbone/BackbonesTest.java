package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry: names, errors, and that every entry builds a configuration with the embedding output. */
class BackbonesTest {

    @Test
    void names() {
        assertEquals(List.of("resnet18-cifar", "resnet50-cifar", "resnet-small", "resnet20", "resnet32", "resnet32-a",
                "resnet50-imagenet",
                "classifier32", "cnn9", "lenet-pp", "iresnet18", "iresnet34", "iresnet50", "iresnet100", "spherenet9", "sphereresnet32"),
                Backbones.names());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backbones.build("resnet-18", 32, 32, 3, 64, 1L));
        assertTrue(e.getMessage().contains("resnet-18"), e.getMessage());
        for (String name : Backbones.names()) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    @Test
    void rejectsBadSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backbones.build("resnet50-imagenet", 16, 16, 3, 64, 1L));
        assertTrue(e.getMessage().contains("16x16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backbones.build("cnn9", 32, 32, 3, 0, 1L));
    }

    @Test
    void everyEntryBuildsAConfigurationWithTheEmbeddingOutput() {
        for (String name : Backbones.names()) {
            int size = name.startsWith("iresnet") ? 112 : name.endsWith("imagenet") ? 224 : 32;
            ComputationGraphConfiguration conf = Backbones.build(name, size, size, 3, 16, 7L);
            assertEquals(List.of(Backbones.EMBEDDING), conf.getNetworkOutputs(), name);
            assertEquals(List.of(Backbones.INPUT), conf.getNetworkInputs(), name);
        }
    }

    @Test
    void configurationsSurviveAJsonRoundTrip() {
        // Spark ships configurations as JSON; the PReLU parts (constant init, crop, preprocessors) must survive.
        for (String name : Backbones.names()) {
            int size = name.startsWith("iresnet") ? 112 : name.endsWith("imagenet") ? 224 : 32;
            ComputationGraphConfiguration conf = Backbones.build(name, size, size, 3, 16, 7L);
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back, name);
        }
    }
}
