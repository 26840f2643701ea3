package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import static io.protospark.model.backbone.RefCount.bn;
import static io.protospark.model.backbone.RefCount.conv;
import static io.protospark.model.backbone.RefCount.linear;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** torchvision ResNet-50 at 224×224×3. */
class ImageNetResNetTest {

    /**
     * torchvision {@code resnet50()} has 25,557,032 parameters; without {@code fc} (2048·1000 + 1000) 23,508,032.
     * It differs from kuangliu's CIFAR ResNet-50 only in the stem: 7·7·3·64 instead of 3·3·3·64.
     */
    static final long RESNET50_IMAGENET = 23_508_032L;

    @Test
    void referenceArithmetic() {
        assertEquals(25_557_032L - linear(2048, 1000, true), RESNET50_IMAGENET);
        assertEquals(RESNET50_IMAGENET,
                conv(7, 3, 64, false) + bn(64) + CifarResNetsTest.bottleneckStages());
    }

    @Test
    void resnet50Imagenet() {
        // d = 512 as in DL2PA's ImageNet runs: pooled 2048 → bias-free linear 512.
        ComputationGraph net = RefCount.buildAndCheck("resnet50-imagenet", 224, 224, 3, 512, 1);
        RefCount.assertCount(RESNET50_IMAGENET + linear(2048, 512, false), net, "resnet50-imagenet, d = 512");
    }
}
