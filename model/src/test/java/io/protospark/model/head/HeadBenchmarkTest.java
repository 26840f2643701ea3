package io.protospark.model.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Timings of the head components in float on this machine. Off by default (minutes, gigabytes); run with
 * {@code mvn -o -q -pl model test -Dtest='io.protospark.model.head.HeadBenchmarkTest' -Dprotospark.bench=true}.
 */
@EnabledIfSystemProperty(named = "protospark.bench", matches = "true")
class HeadBenchmarkTest {

    private static ComputationGraph head(Layer layer, int d) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(1)
                .updater(new Sgd(0.01)).weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in")
                .addLayer("head", layer, "in")
                .addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).build(), "head")
                .setOutputs("loss").setInputTypes(InputType.feedForward(d)).build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    /** Mean milliseconds of one forward + backward (gradient and score, no update). */
    private static double fwdBwd(ComputationGraph g, INDArray x, INDArray y, int warm, int reps) {
        g.setInputs(x);
        g.setLabels(y);
        for (int i = 0; i < warm; i++) {
            g.computeGradientAndScore();
        }
        long t = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            g.computeGradientAndScore();
        }
        double ms = (System.nanoTime() - t) / 1e6 / reps;
        assertTrue(Double.isFinite(g.score()), "finite score");
        return ms;
    }

    private static INDArray labels(int n, int k) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, k);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7) % k, 1f);
        }
        return y;
    }

    @Test
    void normalizedDenseAgainstDenseLayer() {
        int d = 512;
        int k = 1000;
        int n = 128;
        ComputationGraph norm = head(new NormalizedDense.Builder().nOut(k).build(), d);
        ComputationGraph dense = head(new DenseLayer.Builder().nOut(k).hasBias(false)
                .activation(Activation.IDENTITY).build(), d);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, d);
        INDArray y = labels(n, k);
        double[] a = new double[3];
        double[] b = new double[3];
        for (int round = 0; round < 3; round++) {
            a[round] = fwdBwd(norm, x, y, 5, 40);
            b[round] = fwdBwd(dense, x, y, 5, 40);
        }
        java.util.Arrays.sort(a);
        java.util.Arrays.sort(b);
        long tf = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            norm.outputSingle(x);
        }
        double normFwd = (System.nanoTime() - tf) / 1e6 / 40;
        tf = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            dense.outputSingle(x);
        }
        double denseFwd = (System.nanoTime() - tf) / 1e6 / 40;
        System.out.printf(Locale.ROOT, "BENCH head d=%d K=%d batch=%d fwd+bwd median ms: NormalizedDense %.2f, "
                + "DenseLayer %.2f (ratio %.2f); forward only: %.2f vs %.2f%n", d, k, n, a[1], b[1], a[1] / b[1],
                normFwd, denseFwd);
        INDArray w0 = norm.getLayer("head").getParam("W").dup();
        norm.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
        assertNotEquals(0.0, norm.getLayer("head").getParam("W").sub(w0).amaxNumber().doubleValue());
    }

    @Test
    void damFaceSizeAtBatch24() {
        int in = 512;
        int out = 12500;
        int n = 24;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .seed(1).updater(new Adam(1e-4)).graphBuilder().addInputs("in")
                .setInputTypes(InputType.feedForward(in));
        Dam.add(g, "in", in, out, 1, "dam");
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), "dam");
        long t0 = System.nanoTime();
        ComputationGraph net = new ComputationGraph(g.setOutputs("loss").build());
        net.init();
        double initS = (System.nanoTime() - t0) / 1e9;
        assertEquals((long) in * out + out + 1 + 4L * out + (long) out * out + out, net.numParams());
        INDArray x = Nd4j.rand(DataType.FLOAT, n, in);
        INDArray y = Nd4j.rand(DataType.FLOAT, n, out).muli(1000);
        double fb = fwdBwd(net, x, y, 2, 5);
        long t = System.nanoTime();
        org.nd4j.linalg.dataset.DataSet ds = new org.nd4j.linalg.dataset.DataSet(x, y);
        net.fit(ds); // first fit allocates the Adam state
        double firstFit = (System.nanoTime() - t) / 1e6;
        t = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            net.fit(ds);
        }
        double fit = (System.nanoTime() - t) / 1e6 / 3;
        System.out.printf(Locale.ROOT, "BENCH DAM 512->12500 L=1 batch %d: %d params, init %.1f s, fwd+bwd %.0f ms, "
                + "fit step with Adam %.0f ms (first %.0f ms), off-heap in use %.2f GB%n", n, net.numParams(),
                initS, fb, fit, firstFit, Pointer.physicalBytes() / 1e9);
        assertTrue(Double.isFinite(net.score()));
    }

    @Test
    void decisionAtFaceScale() {
        int n = 256;
        int k = 12000;
        int d = 12500;
        INDArray s = Nd4j.rand(DataType.FLOAT, k, d).subi(0.5f);
        INDArray f = s.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        long before = Pointer.physicalBytes();
        Decision.Outcome o = null;
        int[] p = null;
        for (int round = 0; round < 2; round++) {
            long t = System.nanoTime();
            p = Decision.EUCLIDEAN.predict(f, s);
            double oneMs = (System.nanoTime() - t) / 1e6;
            t = System.nanoTime();
            o = Decision.evaluateAll(f, s);
            double ms = (System.nanoTime() - t) / 1e6;
            System.out.printf(Locale.ROOT, "BENCH Decision N=%d K=%d d=%d float: one rule %.0f ms, all rules + score "
                    + "%.0f ms; physical bytes before %.2f GB, after %.2f GB%n", n, k, d, oneMs, ms, before / 1e9,
                    Pointer.physicalBytes() / 1e9);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, p[i]);
            assertEquals(1.0, o.openSetScores()[i], 0.0);
        }
    }
}
