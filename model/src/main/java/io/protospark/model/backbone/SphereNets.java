package io.protospark.model.backbone;

import io.protospark.model.sphere.SphereOperator;
import io.protospark.model.sphere.SphereSettings;
import io.protospark.model.head.NormalizedDense;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The SphereNet backbones (Liu et al., NeurIPS 2017), built from {@link io.protospark.model.sphere.SphereConv}
 * with the operator, k and orthogonality λ of {@link SphereSettings}.
 *
 * <ul>
 *   <li>SphereNet-9 ({@code spherenet9}): 3×SphereConv3×3-128, max-pool, 3×SphereConv-192, max-pool,
 *   3×SphereConv-256, max-pool, each SphereConv followed by BN (eps 1e-3, EMA decay 0.999) + ReLU; fc6 is a VALID
 *   SphereConv over the remaining map to d features with the cosine operator, no BN and no ReLU — built here as the
 *   equivalent dense SphereConv named {@code embedding}. The seed's example files use 196 instead of 192 and BN on fc6;
 *   we follow METHODS §4.2 (192, no BN). The seed's score layer (1×1 ordinary conv to the classes) is the head, not
 *   part of the backbone.</li>
 *   <li>SphereResNet-32 ({@code sphereresnet32}): root SphereConv3×3-96 + BN + ReLU, then 3 stages × 5 residual units
 *   of widths 96 / 192 / 384 (stride 2 at the first unit of stages 2 and 3); a unit is SphereConv-BN-ReLU-SphereConv-BN,
 *   added to the shortcut, then ReLU; the shortcut is the identity, or an ordinary 1×1 conv (stride s, no bias) + BN
 *   when width or stride change (weight-decayed, as in the seed). Global average pooling gives 384 features (the
 *   seed's 8×8 average pool at 32×32 input); {@link Backbones} maps them to d when d ≠ 384.</li>
 * </ul>
 * SphereConv layers have no bias and no weight decay; their orthogonality penalty is attached by the layer itself.
 */
final class SphereNets {
    /** The seed's batch normalisation: eps 1e-3, EMA decay 0.999. */
    private static final double BN_EPS = 1e-3;
    private static final double BN_DECAY = 0.999;

    private SphereNets() {
    }

    /** SphereNet-9 including fc6 (dense cosine SphereConv to d) named {@code embedding}. */
    static String sphereNet9(GraphDsl n, String in, int d, SphereSettings s) {
        int[] widths = {128, 192, 256};
        String x = in;
        int layer = 1;
        for (int g = 0; g < 3; g++) {
            for (int j = 0; j < 3; j++, layer++) {
                x = n.sphereConv(x, "conv" + layer, 3, 1, 1, widths[g], s);
                x = n.bn(x, "bn" + layer, BN_EPS, BN_DECAY);
                x = n.relu(x, "relu" + layer);
            }
            x = n.maxPool(x, "pool" + (g + 1), 2, 2, 0);
        }
        return n.sphereDense(x, Backbones.EMBEDDING, d, SphereOperator.COSINE, s);
    }

    /** SphereResNet-32 up to its 384-d pooled map (the caller pools). */
    static String sphereResNet32(GraphDsl n, String in, SphereSettings s) {
        String x = n.sphereConv(in, "root_conv", 3, 1, 1, 96, s);
        x = n.bn(x, "root_bn", BN_EPS, BN_DECAY);
        x = n.relu(x, "root_relu");
        int[] widths = {96, 192, 384};
        int channels = 96;
        for (int stage = 0; stage < 3; stage++) {
            for (int unit = 0; unit < 5; unit++) {
                int stride = unit == 0 && stage > 0 ? 2 : 1;
                x = unit(n, x, "s" + (stage + 1) + "u" + (unit + 1), channels, widths[stage], stride, s);
                channels = widths[stage];
            }
        }
        return x;
    }

    private static String unit(GraphDsl n, String in, String p, int inC, int width, int stride, SphereSettings s) {
        String x = n.sphereConv(in, p + "_conv1", 3, stride, 1, width, s);
        x = n.bn(x, p + "_bn1", BN_EPS, BN_DECAY);
        x = n.relu(x, p + "_relu1");
        x = n.sphereConv(x, p + "_conv2", 3, 1, 1, width, s);
        x = n.bn(x, p + "_bn2", BN_EPS, BN_DECAY);
        String sc = in;
        if (stride != 1 || inC != width) {
            sc = n.conv(in, p + "_sc_conv", 1, stride, 0, width, false);
            sc = n.bn(sc, p + "_sc_bn", BN_EPS, BN_DECAY);
        }
        return n.relu(n.add(p + "_add", x, sc), p + "_out");
    }

    /**
     * Adds SphereNet's weight-normalised softmax head on {@code in}: a {@link NormalizedDense} named {@code name}
     * producing the class logits (w_k·f / ‖w_k‖, no bias) and a softmax cross-entropy loss layer
     * {@code name + "_loss"}; returns the loss layer's name (set it as the graph output). The norm is ‖w_k‖ clamped
     * below at 1e-12 where the seed uses √(Σw² + 1e-4): a relative difference of about 5e-5 / ‖w_k‖² on the logits.
     */
    static String weightNormSoftmax(ComputationGraphConfiguration.GraphBuilder g, String in, String name,
                                    int classes) {
        g.addLayer(name, new NormalizedDense.Builder().nOut(classes).build(), in);
        g.addLayer(name + "_loss", new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .activation(Activation.SOFTMAX).build(), name);
        return name + "_loss";
    }
}
