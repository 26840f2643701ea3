package io.protospark.model.backbone;

/**
 * The plain (non-residual) CNNs of the research systems.
 *
 * <ul>
 *   <li>classifier32 — the open-set CNN of Neal et al. (ECCV 2018), reused by ARPL (Chen et al., TPAMI 2021) and the
 *   Deep Simplex Classifier: nine bias-free 3×3 convs 64-64-128 / 128-128-128 / 128-128-128 with strides 1,1,2 per
 *   group, each BN + LeakyReLU 0.2, Dropout2d 0.2 before each group, global average pool → 128-d.</li>
 *   <li>CNN-9 — the CIFAR-100 net of MHE (Liu et al., NeurIPS 2018) and CoMHE (Lin et al., CVPR 2020): 3×conv3×3-64,
 *   pool, 3×conv-128, pool, 3×conv-256, pool, each conv (with bias) + BN (eps 1e-3, EMA decay 0.999) + ReLU; "fc6" is a valid conv over the whole
 *   remaining map (4×4 at 32×32 input) to d, no BN, no ReLU — built here as the equivalent dense layer.</li>
 *   <li>LeNet++ — the center-loss network of Wen et al. (ECCV 2016): three pairs of 5×5 convs (pad 2, with bias)
 *   32-32 / 64-64 / 128-128, each followed by a PReLU, 2×2 max-pool after each pair, then fc to d (2 in the paper,
 *   with bias) + PReLU. The reference PReLUs have a single slope each; here the six conv PReLUs have one slope
 *   per channel and the fc PReLU one per feature (DL4J has no trainable shared-slope PReLU, see
 *   {@link GraphDsl#prelu}): 442 + (d − 1) more parameters, 0.06 % of the net at d = 2.</li>
 * </ul>
 */
final class PlainCnns {
    private PlainCnns() {
    }

    /** classifier32 up to its 128-d pooled feature (the fc classifier is not built). */
    static String classifier32(GraphDsl n, String in) {
        int[] widths = {64, 64, 128, 128, 128, 128, 128, 128, 128};
        int[] strides = {1, 1, 2, 1, 1, 2, 1, 1, 2};
        String x = in;
        for (int i = 0; i < widths.length; i++) {
            if (i % 3 == 0) {
                x = n.spatialDropout(x, "drop" + (i / 3 + 1), 0.2);
            }
            x = n.conv(x, "conv" + (i + 1), 3, strides[i], 1, widths[i], false);
            x = n.bn(x, "bn" + (i + 1));
            x = n.leakyRelu(x, "lrelu" + (i + 1), 0.2);
        }
        return x;
    }

    /** CNN-9 including fc6 (to d features) named {@code embedding}. */
    static String cnn9(GraphDsl n, String in, int d) {
        int[] widths = {64, 128, 256};
        String x = in;
        int layer = 1;
        for (int g = 0; g < 3; g++) {
            for (int j = 0; j < 3; j++, layer++) {
                x = n.conv(x, "conv" + layer, 3, 1, 1, widths[g], true);
                x = n.bn(x, "bn" + layer, 1e-3, 0.999);
                x = n.relu(x, "relu" + layer);
            }
            x = n.maxPool(x, "pool" + (g + 1), 2, 2, 0);
        }
        // fc6: a VALID conv whose kernel covers the whole map is exactly a dense layer on the flattened map.
        return n.dense(x, Backbones.EMBEDDING, d, true);
    }

    /** LeNet++ including fc1 (to d) + PReLU, the latter named {@code embedding}. */
    static String lenetPlusPlus(GraphDsl n, String in, int d) {
        int[] widths = {32, 32, 64, 64, 128, 128};
        String x = in;
        for (int i = 0; i < widths.length; i++) {
            x = n.conv(x, "conv" + (i + 1), 5, 1, 2, widths[i], true);
            x = n.prelu(x, "prelu" + (i + 1), widths[i]);
            if (i % 2 == 1) {
                x = n.maxPool(x, "pool" + (i / 2 + 1), 2, 2, 0);
            }
        }
        x = n.dense(x, "fc1", d, true);
        return n.densePrelu(x, Backbones.EMBEDDING, d);
    }
}
