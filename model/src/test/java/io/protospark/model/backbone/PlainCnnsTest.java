package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import static io.protospark.model.backbone.RefCount.bn;
import static io.protospark.model.backbone.RefCount.conv;
import static io.protospark.model.backbone.RefCount.linear;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** classifier32, CNN-9 and LeNet++. */
class PlainCnnsTest {

    /**
     * ARPL {@code models/models.py} classifier32 without its bias-free fc: nine bias-free 3×3 convs and nine BNs.
     * 3·3·(3·64 + 64·64 + 64·128 + 6·128·128) + 2·(2·64 + 7·128) = 997,056 + 2,048 = 999,104.
     */
    static final long CLASSIFIER32 = 999_104L;

    @Test
    void classifier32() {
        long p = conv(3, 3, 64, false) + conv(3, 64, 64, false) + conv(3, 64, 128, false)
                + 6 * conv(3, 128, 128, false) + 2 * bn(64) + 7 * bn(128);
        assertEquals(CLASSIFIER32, p);
        ComputationGraph net = RefCount.buildAndCheck("classifier32", 32, 32, 3, 128, 2);
        RefCount.assertCount(CLASSIFIER32, net, "classifier32, d = 128 (pooled feature)");
    }

    /**
     * MHE/CoMHE CNN-9 at 32×32×3 up to fc6 (4×4 valid conv 256 → d, with bias): convs with bias, each BN (γ, β).
     * For d = 256: convs 1,792 + 2·36,928 + 73,856 + 2·147,584 + 295,168 + 2·590,080 = 1,920,000, BN
     * 2·(3·64 + 3·128 + 3·256) = 2,688, fc6 4·4·256·256 + 256 = 1,048,832; total 2,971,520.
     */
    @Test
    void cnn9() {
        long p = conv(3, 3, 64, true) + 2 * conv(3, 64, 64, true)
                + conv(3, 64, 128, true) + 2 * conv(3, 128, 128, true)
                + conv(3, 128, 256, true) + 2 * conv(3, 256, 256, true)
                + 3 * (bn(64) + bn(128) + bn(256))
                + conv(4, 256, 256, true);
        assertEquals(2_971_520L, p);
        ComputationGraph net = RefCount.buildAndCheck("cnn9", 32, 32, 3, 256, 2);
        RefCount.assertCount(p, net, "cnn9, d = 256");
    }

    /** Wen et al. / KaiyangZhou center-loss ConvNet: 5×5 convs with bias, one PReLU slope each, fc1 with bias. */
    static long lenet(int c, int h, int d) {
        int s = h / 2 / 2 / 2;
        return conv(5, c, 32, true) + conv(5, 32, 32, true) + conv(5, 32, 64, true) + conv(5, 64, 64, true)
                + conv(5, 64, 128, true) + conv(5, 128, 128, true) + 6
                + linear(128 * s * s, d, true) + 1;
    }

    /** The builder's PReLUs have one slope per channel / feature instead of one each (see PlainCnns). */
    static long extraSlopes(int d) {
        return (32 + 32 + 64 + 64 + 128 + 128 - 6) + (d - 1);
    }

    @Test
    void lenetPlusPlus() {
        // MNIST 28×28×1 → 3×3 map, as in the center-loss paper: convs 832 + 25,632 + 51,264 + 102,464 + 204,928
        // + 409,728 = 794,848, six PReLU slopes, fc1 1,152·2 + 2 = 2,306, one PReLU slope: 797,161.
        long reference = lenet(1, 28, 2);
        assertEquals(797_161L, reference);
        ComputationGraph mnist = RefCount.buildAndCheck("lenet-pp", 28, 28, 1, 2, 2);
        RefCount.assertCount(reference + extraSlopes(2), mnist, "lenet-pp 28x28x1, d = 2");
        RefCount.assertWithinOnePercent(reference, mnist, "lenet-pp 28x28x1, d = 2");
        // CIFAR 32×32×3 → 4×4 map (DSC's LeNet++ experiments).
        ComputationGraph cifar = RefCount.buildAndCheck("lenet-pp", 32, 32, 3, 2, 1);
        RefCount.assertCount(lenet(3, 32, 2) + extraSlopes(2), cifar, "lenet-pp 32x32x3, d = 2");
        RefCount.assertWithinOnePercent(lenet(3, 32, 2), cifar, "lenet-pp 32x32x3, d = 2");
    }
}
