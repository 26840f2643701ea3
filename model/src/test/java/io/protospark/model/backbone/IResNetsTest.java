package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import static io.protospark.model.backbone.RefCount.bn;
import static io.protospark.model.backbone.RefCount.conv;
import static io.protospark.model.backbone.RefCount.linear;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** InsightFace IResNet-50 / IResNet-100 at 112×112×3, d = 512. */
class IResNetsTest {

    /**
     * arcface_torch {@code iresnet.py}, counted as {@code sum(p.numel())} (this includes the final BatchNorm1d's γ,
     * which arcface_torch freezes with requires_grad = False). Gives 43,590,848 for r50 and 65,156,160 for r100,
     * the "43.6M" / "65.2M" sizes quoted for these models.
     */
    static long iresnet(int[] layers, int d) {
        long p = conv(3, 3, 64, false) + bn(64) + 64;
        int in = 64;
        int[] widths = {64, 128, 256, 512};
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < layers[s]; b++) {
                int w = widths[s];
                p += bn(in) + conv(3, in, w, false) + bn(w) + w + conv(3, w, w, false) + bn(w);
                if (b == 0) {
                    p += conv(1, in, w, false) + bn(w);
                }
                in = w;
            }
        }
        return p + bn(512) + linear(512 * 7 * 7, d, true) + bn(d);
    }

    @Test
    void referenceArithmetic() {
        assertEquals(43_590_848L, iresnet(new int[]{3, 4, 14, 3}, 512));
        assertEquals(65_156_160L, iresnet(new int[]{3, 13, 30, 3}, 512));
        // PyTorch's count for IResNet-18 (bench/pretrained/torch_iresnet.py, sum(p.numel()))
        assertEquals(24_025_600L, iresnet(IResNets.LAYERS_18, 512));
    }

    @Test
    void iresnet18() {
        ComputationGraph net = RefCount.buildAndCheck("iresnet18", 112, 112, 3, 512, 1);
        RefCount.assertCount(iresnet(IResNets.LAYERS_18, 512), net, "iresnet18, d = 512");
    }

    @Test
    void iresnet50() {
        ComputationGraph net = RefCount.buildAndCheck("iresnet50", 112, 112, 3, 512, 1);
        RefCount.assertCount(iresnet(IResNets.LAYERS_50, 512), net, "iresnet50, d = 512");
    }

    @Test
    void iresnet100() {
        ComputationGraph net = RefCount.buildAndCheck("iresnet100", 112, 112, 3, 512, 1);
        RefCount.assertCount(iresnet(IResNets.LAYERS_100, 512), net, "iresnet100, d = 512");
    }
}
