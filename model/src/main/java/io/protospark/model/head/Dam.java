package io.protospark.model.head;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;

/**
 * The Deep Simplex Classifier's dimension augmentation module (DAM, Cevikalp &amp; Saribas, {@code DAMGeneralML}):
 * it lifts a low-dimensional embedding (2-d LeNet++ features, a 512-d face embedding) to D ≥ C − 1 dimensions so
 * that a C-vertex simplex fits, and the face "revised network" that replaces it by one linear map of the flattened
 * convolutional feature.
 *
 * <p>Sizing (seed rule): r = max(in/out, out/in), growth g = r^{1/L}; starting from x = in, each of the L blocks
 * maps x → ⌈x·g⌉, or → out when x·g &gt; out; then one final Linear → out. Each block is Linear (with bias) →
 * PReLU (one shared slope, 0.25, PyTorch {@code nn.PReLU()}) → BatchNorm (eps 1e-5, running-average decay 0.9 =
 * PyTorch momentum 0.1). Linear weights are drawn U(−1/√fanIn, 1/√fanIn), PyTorch's {@code nn.Linear} default;
 * biases start at 0 (PyTorch draws them from the same uniform; we chose the DL4J default). The PReLU is
 * {@link Prelu}, not DL4J's {@code PReLULayer}, which cannot train a shared slope in 1.0.0-M2.1.
 *
 * <p>Layer names: block i (1-based) adds {@code <out>_fc<i>}, {@code <out>_prelu<i>}, {@code <out>_bn<i>}; the final
 * Linear is named {@code <out>} itself (it may feed a loss layer; a dense BatchNormalization cannot be a graph
 * output in DL4J, the final Linear avoids that).
 */
public final class Dam {
    /** PyTorch's BatchNorm1d epsilon. */
    public static final double BN_EPS = 1e-5;
    /** DL4J decay equal to PyTorch's BatchNorm momentum 0.1. */
    public static final double BN_DECAY = 0.9;

    private Dam() {
    }

    /**
     * Widths of the module: [in, block 1 out, …, block L out, out] (L + 2 values). For example (2 → 20, L = 2) gives
     * [2, 7, 20, 20] and (512 → 12500, L = 1) gives [512, 12500, 12500]. L = 0 is one Linear: [in, out].
     */
    public static int[] sizes(int in, int out, int layers) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("DAM widths must be positive, got in = " + in + ", out = " + out);
        }
        if (layers < 0) {
            throw new IllegalArgumentException("DAM block count L must be ≥ 0, got " + layers);
        }
        int[] s = new int[layers + 2];
        s[0] = in;
        double ratio = Math.max((double) in / out, (double) out / in);
        double growth = layers == 0 ? 1.0 : Math.pow(ratio, 1.0 / layers);
        int x = in;
        for (int i = 1; i <= layers; i++) {
            double next = x * growth;
            x = next > out ? out : (int) Math.ceil(next);
            s[i] = x;
        }
        s[layers + 1] = out;
        return s;
    }

    /**
     * Adds the DAM after vertex {@code input} (an N×in feed-forward activation) and returns {@code outputName}, the
     * name of its final Linear (N×out, no activation).
     */
    public static String add(ComputationGraphConfiguration.GraphBuilder g, String input, int in, int out,
                             int layers, String outputName) {
        int[] s = sizes(in, out, layers);
        String prev = input;
        for (int i = 1; i <= layers; i++) {
            String fc = outputName + "_fc" + i;
            g.addLayer(fc, linear(s[i - 1], s[i]), prev);
            String prelu = outputName + "_prelu" + i;
            g.addLayer(prelu, new Prelu.Builder().nIn(s[i]).build(), fc);
            String bn = outputName + "_bn" + i;
            g.addLayer(bn, new BatchNormalization.Builder().nIn(s[i]).nOut(s[i]).eps(BN_EPS).decay(BN_DECAY)
                    .build(), prelu);
            prev = bn;
        }
        g.addLayer(outputName, linear(s[layers], out), prev);
        return outputName;
    }

    /**
     * The face "revised network" head (DSC {@code RevisedNetwork}): the flattened convolutional feature (e.g. the
     * 512×7×7 map after the backbone's final BatchNorm, before dropout and the 512-d bottleneck) → one Linear (with
     * bias, no activation) to D. The input width is inferred, so the graph needs {@code setInputTypes}; a CNN input
     * is flattened in [c, h, w] order like PyTorch's {@code flatten}. Returns {@code outputName}.
     */
    public static String revised(ComputationGraphConfiguration.GraphBuilder g, String input, String outputName,
                                 int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("revised network output dimension D must be positive, got "
                    + dimension);
        }
        g.addLayer(outputName, new DenseLayer.Builder().nOut(dimension).hasBias(true)
                .activation(Activation.IDENTITY).weightInit(WeightInit.UNIFORM).biasInit(0.0).build(), input);
        return outputName;
    }

    private static DenseLayer linear(int in, int out) {
        return new DenseLayer.Builder().nIn(in).nOut(out).hasBias(true).activation(Activation.IDENTITY)
                .weightInit(WeightInit.UNIFORM).biasInit(0.0).build();
    }
}
