package io.protospark.model.backbone;

import java.util.List;

/**
 * InsightFace's IResNet (Deng et al., "ArcFace", CVPR 2019; {@code recognition/arcface_torch/backbones/iresnet.py}),
 * the face backbone of the Deep Simplex Classifier experiments.
 *
 * <p>Stem conv3×3(64)-BN-PReLU(64) (PReLU built as in {@link GraphDsl#prelu}); four stages 64/128/256/512, each starting with stride 2; IBasicBlock =
 * BN-conv3×3-BN-PReLU-conv3×3(stride)-BN plus shortcut (conv1×1(stride)+BN on every stage's first block), no
 * activation after the add; then BN → flatten → FC (512·(h/16)·(w/16) → d, with bias) → BN1d (then a
 * parameter-free identity layer named {@code embedding}, see {@link #build}). The reference's
 * dropout is p = 0 by default and is omitted; its final BN has a frozen γ = 1, here γ is trainable (see the tests).
 * BN eps 1e-5 throughout (arcface_torch).
 */
final class IResNets {
    private IResNets() {
    }

    /** The last convolutional feature map (after the final BN) and the bottleneck's vertices after it, in order. */
    static final Backbones.Bottleneck BOTTLENECK = new Backbones.Bottleneck("out_bn",
            List.of("fc", "features_bn", Backbones.EMBEDDING));

    static final int[] LAYERS_18 = {2, 2, 2, 2};
    static final int[] LAYERS_34 = {3, 4, 6, 3};
    static final int[] LAYERS_50 = {3, 4, 14, 3};
    static final int[] LAYERS_100 = {3, 13, 30, 3};

    static String build(GraphDsl n, String in, int[] layers, int d) {
        String x = n.conv(in, "stem_conv", 3, 1, 1, 64, false);
        x = n.bn(x, "stem_bn");
        x = n.prelu(x, "stem_prelu", 64);
        int[] widths = {64, 128, 256, 512};
        int channels = 64;
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < layers[s]; b++) {
                x = block(n, x, "s" + (s + 1) + "b" + (b + 1), channels, widths[s], b == 0 ? 2 : 1);
                channels = widths[s];
            }
        }
        x = n.bn(x, BOTTLENECK.convFeature());
        x = n.dense(x, BOTTLENECK.vertices().get(0), d, true);
        // DL4J 1.0.0-M2.1 fails inference (ND4JWorkspaceException "WS_LAYER_ACT_n for array type INPUT is not
        // open") when a BatchNormalization on dense input is the graph's output, so an identity layer carries the name.
        x = n.bn(x, BOTTLENECK.vertices().get(1));
        return n.identity(x, Backbones.EMBEDDING);
    }

    private static String block(GraphDsl n, String in, String p, int inC, int width, int stride) {
        String x = n.bn(in, p + "_bn1");
        x = n.conv(x, p + "_conv1", 3, 1, 1, width, false);
        x = n.bn(x, p + "_bn2");
        x = n.prelu(x, p + "_prelu", width);
        x = n.conv(x, p + "_conv2", 3, stride, 1, width, false);
        x = n.bn(x, p + "_bn3");
        String sc = in;
        if (stride != 1 || inC != width) {
            sc = n.conv(in, p + "_sc_conv", 1, stride, 0, width, false);
            sc = n.bn(sc, p + "_sc_bn");
        }
        return n.add(p + "_add", x, sc);
    }
}
