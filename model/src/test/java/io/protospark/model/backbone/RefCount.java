package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameter arithmetic of the PyTorch reference definitions, counted as {@code sum(p.numel())}: conv and linear
 * weights and biases, PReLU slopes, and γ, β of each BatchNorm (its running statistics are buffers, not parameters).
 * {@link Backbones#trainableParams} counts the DL4J graphs the same way.
 */
final class RefCount {
    private RefCount() {
    }

    static long conv(int k, int in, int out, boolean bias) {
        return (long) k * k * in * out + (bias ? out : 0);
    }

    static long bn(int c) {
        return 2L * c;
    }

    static long linear(int in, int out, boolean bias) {
        return (long) in * out + (bias ? out : 0);
    }

    /** Builds, initialises, runs one forward pass at the given batch size and checks the embedding shape. */
    static ComputationGraph buildAndCheck(String name, int h, int w, int c, int d, int batch) {
        ComputationGraphConfiguration conf = Backbones.build(name, h, w, c, d, 42L);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        assertArrayEquals(new String[]{Backbones.EMBEDDING}, net.getConfiguration().getNetworkOutputs().toArray());
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, c, h, w);
        INDArray out = net.outputSingle(false, x);
        assertArrayEquals(new long[]{batch, d}, out.shape(), name + " embedding shape");
        assertFalse(out.isNaN().any() || out.isInfinite().any(), name + " produced NaN/Inf");
        return net;
    }

    /** The brief's acceptance rule: within 1 % of the reference. */
    static void assertWithinOnePercent(long reference, ComputationGraph net, String what) {
        long actual = Backbones.trainableParams(net);
        assertTrue(Math.abs(actual - reference) <= 0.01 * reference,
                what + ": " + actual + " trainable parameters, reference " + reference);
    }

    /** Asserts the count matches the reference exactly (stronger than the 1 % the brief asks for). */
    static void assertCount(long reference, ComputationGraph net, String what) {
        assertEquals(reference, Backbones.trainableParams(net), what + ": trainable parameters vs reference");
    }
}
