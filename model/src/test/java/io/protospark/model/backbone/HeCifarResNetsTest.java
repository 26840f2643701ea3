package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Map;

import static io.protospark.model.backbone.RefCount.bn;
import static io.protospark.model.backbone.RefCount.conv;
import static io.protospark.model.backbone.RefCount.linear;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** He et al.'s CIFAR ResNet-20 / ResNet-32 in the HPN layout (3×3 conv + BN projection shortcuts) at 32×32×3. */
class HeCifarResNetsTest {

    /** BasicBlock with a conv3×3+BN shortcut when the shape changes. */
    static long basic(int in, int w) {
        long p = conv(3, in, w, false) + bn(w) + conv(3, w, w, false) + bn(w);
        return in != w ? p + conv(3, in, w, false) + bn(w) : p;
    }

    /** ResNet-(6n+2) body up to the pooled 64-d feature (no fc). */
    static long body(int n) {
        long p = conv(3, 3, 16, false) + bn(16);
        int in = 16;
        for (int w : new int[]{16, 32, 64}) {
            for (int b = 0; b < n; b++) {
                p += basic(in, w);
                in = w;
            }
        }
        return p;
    }

    /**
     * Cross-check with the published option-A (parameter-free shortcut) sizes: ResNet-20 has 269,722 parameters
     * with its fc 64 → 10 (650), ResNet-32 464,154; the HPN conv3×3 shortcuts add 3·3·16·32 + 2·32 and
     * 3·3·32·64 + 2·64 = 23,232.
     */
    @Test
    void referenceArithmetic() {
        long shortcuts = conv(3, 16, 32, false) + bn(32) + conv(3, 32, 64, false) + bn(64);
        assertEquals(23_232L, shortcuts);
        assertEquals(269_722L - 650 + shortcuts, body(3));
        assertEquals(464_154L - 650 + shortcuts, body(5));
        assertEquals(292_304L, body(3));
        assertEquals(486_736L, body(5));
    }

    @Test
    void resnet32OptionA() {
        // Parameter-free shortcuts: exactly He et al.'s ResNet-32 without its fc, 464,154 − 650.
        ComputationGraph net = RefCount.buildAndCheck("resnet32-a", 32, 32, 3, 64, 2);
        RefCount.assertCount(464_154L - 650, net, "resnet32-a, d = 64 (pooled feature)");
        // The shortcut of s2b1 is [x[:, :, ::2, ::2] (16 ch), 0 (16 ch)].
        Map<String, INDArray> a = net.feedForward(Nd4j.randn(DataType.FLOAT, 2, 3, 32, 32), false);
        INDArray sc = a.get("s2b1_sc");
        INDArray x = a.get("s1b5_out");
        assertArrayEquals(new long[]{2, 32, 16, 16}, sc.shape());
        INDArrayIndex all = NDArrayIndex.all();
        assertEquals(0.0, sc.get(all, NDArrayIndex.interval(16, 32)).amaxNumber().doubleValue());
        INDArray expected = x.get(all, all, NDArrayIndex.interval(0, 2, 32), NDArrayIndex.interval(0, 2, 32));
        assertTrue(expected.equalsWithEps(sc.get(all, NDArrayIndex.interval(0, 16)), 1e-6));
    }

    @Test
    void resnetSmallOnFashionMnistShapes() {
        // stem 3x3x1x32 + BN; s1b1 two 3x3x32x32 + 2 BN; s2b1 3x3x32x64, 3x3x64x64, shortcut 1x1x32x64, 3 BN;
        // projection 64 -> 9 with bias (BN: gamma and beta trainable, 2 per channel)
        ComputationGraph net = RefCount.buildAndCheck("resnet-small", 28, 28, 1, 9, 2);
        long body = (288 + 64) + 2 * (9216 + 64) + (18432 + 128) + (36864 + 128) + (2048 + 128);
        RefCount.assertCount(body + 64 * 9 + 9, net, "resnet-small at 28x28x1, d = 9");
    }

    @Test
    void resnet20() {
        ComputationGraph net = RefCount.buildAndCheck("resnet20", 32, 32, 3, 64, 2);
        RefCount.assertCount(body(3), net, "resnet20, d = 64 (pooled feature)");
    }

    @Test
    void resnet32() {
        // HPN: fc 64 → d with bias, here d = 50 (the shipped CIFAR-100 config).
        ComputationGraph net = RefCount.buildAndCheck("resnet32", 32, 32, 3, 50, 2);
        RefCount.assertCount(body(5) + linear(64, 50, true), net, "resnet32, d = 50");
    }
}
