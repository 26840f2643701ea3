package io.protospark.model.net;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Regular Polytope Networks invariant: the fixed layer does not move, and its logits are ‖f‖·cos θ. */
class FixedHeadTest {

    private static ModelSettings settings(String... overrides) {
        Config c = Configs.load(null, "test", List.of(overrides));
        return ModelSettings.from(c);
    }

    private static DataSet randomBatch(long seed, int n, int classes) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1f);
        }
        return new DataSet(x, y);
    }

    @Test
    void prototypesStayBitIdenticalWhileTheRestTrains() {
        ModelSettings s = settings("model.optimizer.weight-decay=1e-3");
        PrototypeSet p = PrototypeSet.simplex(10);
        ComputationGraph net = Networks.build(s, p);
        INDArray before = FixedHead.weights(net);
        INDArray embeddingBefore = net.getLayer(Networks.EMBEDDING).getParam("W").dup();
        for (int i = 0; i < 5; i++) {
            net.fit(randomBatch(i, 32, 10));
        }
        assertEquals(before, FixedHead.weights(net), "fixed prototypes moved");
        assertNotEquals(embeddingBefore, net.getLayer(Networks.EMBEDDING).getParam("W"), "embedding did not train");
        double[][] held = FixedHead.read(net);
        double[][] expected = p.matrix();
        for (int k = 0; k < 10; k++) {
            for (int j = 0; j < 9; j++) {
                assertEquals((float) expected[k][j], (float) held[k][j], 0f, "P[" + k + "][" + j + "]");
            }
        }
    }

    @Test
    void logitsAreNormTimesCosine() {
        ModelSettings s = settings();
        PrototypeSet p = PrototypeSet.simplex(10);
        ComputationGraph net = Networks.build(s, p);
        DataSet batch = randomBatch(7, 4, 10);
        Map<String, INDArray> acts = net.feedForward(batch.getFeatures(), false);
        INDArray f = acts.get(Networks.EMBEDDING).castTo(DataType.DOUBLE);
        INDArray logits = acts.get(Networks.HEAD).castTo(DataType.DOUBLE);
        for (int i = 0; i < 4; i++) {
            double[] fi = f.getRow(i).toDoubleVector();
            double norm = Math.sqrt(java.util.Arrays.stream(fi).map(v -> v * v).sum());
            for (int k = 0; k < 10; k++) {
                double[] pk = p.row(k);
                double dot = 0;
                for (int j = 0; j < 9; j++) {
                    dot += fi[j] * pk[j];
                }
                double cos = dot / norm; // |p_k| = 1
                assertEquals(norm * cos, logits.getDouble(i, k), 1e-4 * Math.max(1, norm));
            }
        }
    }

    @Test
    void learnedHeadIsAnOrdinarySoftmaxLayer() {
        ComputationGraph net = Networks.build(settings("model.head.kind=learned"), PrototypeSet.simplex(10));
        assertFalse(FixedHead.isFixed(net));
        INDArray w = net.getLayer(Networks.HEAD).getParam("W").dup();
        net.fit(randomBatch(1, 32, 10));
        assertNotEquals(w, net.getLayer(Networks.HEAD).getParam("W"));
        assertArrayEquals(new long[]{9, 10}, w.shape());
    }
}
