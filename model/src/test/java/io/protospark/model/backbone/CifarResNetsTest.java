package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import static io.protospark.model.backbone.RefCount.bn;
import static io.protospark.model.backbone.RefCount.conv;
import static io.protospark.model.backbone.RefCount.linear;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** kuangliu/pytorch-cifar ResNet-18 and ResNet-50 at 32×32×3. */
class CifarResNetsTest {

    /** kuangliu BasicBlock: conv3×3-BN-conv3×3-BN, shortcut conv1×1+BN when the shape changes. */
    static long basic(int in, int w, int stride) {
        long p = conv(3, in, w, false) + bn(w) + conv(3, w, w, false) + bn(w);
        return stride != 1 || in != w ? p + conv(1, in, w, false) + bn(w) : p;
    }

    /** Bottleneck (expansion 4), identical in kuangliu and torchvision; conv1×1+BN shortcut on shape change. */
    static long bottleneck(int in, int w, int stride) {
        long p = conv(1, in, w, false) + bn(w) + conv(3, w, w, false) + bn(w) + conv(1, w, 4 * w, false) + bn(4 * w);
        return stride != 1 || in != 4 * w ? p + conv(1, in, 4 * w, false) + bn(4 * w) : p;
    }

    static long bottleneckStages() {
        int[] blocks = {3, 4, 6, 3};
        int[] widths = {64, 128, 256, 512};
        long p = 0;
        int in = 64;
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < blocks[s]; b++) {
                p += bottleneck(in, widths[s], b == 0 && s > 0 ? 2 : 1);
                in = 4 * widths[s];
            }
        }
        return p;
    }

    /**
     * kuangliu ResNet18 without its final Linear(512, 10): 11,173,962 − 5,130 = 11,168,832 (the count
     * {@code sum(p.numel())} prints for models/resnet.py ResNet18()); recomputed here from the definition.
     */
    static final long RESNET18_CIFAR = 11_168_832L;

    /** kuangliu ResNet50 without its final Linear(2048, 10): 23,520,842 − 20,490 = 23,500,352. */
    static final long RESNET50_CIFAR = 23_500_352L;

    @Test
    void resnet18ReferenceArithmetic() {
        long stem = conv(3, 3, 64, false) + bn(64);
        long p = stem
                + 2 * basic(64, 64, 1)
                + basic(64, 128, 2) + basic(128, 128, 1)
                + basic(128, 256, 2) + basic(256, 256, 1)
                + basic(256, 512, 2) + basic(512, 512, 1);
        assertEquals(RESNET18_CIFAR, p);
        assertEquals(RESNET50_CIFAR, conv(3, 3, 64, false) + bn(64) + bottleneckStages());
    }

    @Test
    void resnet18Cifar() {
        ComputationGraph net = RefCount.buildAndCheck("resnet18-cifar", 32, 32, 3, 512, 2);
        RefCount.assertCount(RESNET18_CIFAR, net, "resnet18-cifar, d = 512 (pooled feature)");
        // d ≠ 512 adds the bias-free projection 512 → d.
        ComputationGraph projected = RefCount.buildAndCheck("resnet18-cifar", 32, 32, 3, 100, 1);
        RefCount.assertCount(RESNET18_CIFAR + linear(512, 100, false), projected, "resnet18-cifar, d = 100");
    }

    @Test
    void resnet50Cifar() {
        ComputationGraph net = RefCount.buildAndCheck("resnet50-cifar", 32, 32, 3, 2048, 1);
        RefCount.assertCount(RESNET50_CIFAR, net, "resnet50-cifar, d = 2048");
    }
}
