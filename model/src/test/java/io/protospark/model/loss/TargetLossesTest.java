package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.prototype.Polytopes;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

class TargetLossesTest extends LossFixture {
    private static ComputationGraphConfiguration graph(TargetLoss loss) {
        return new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(3).updater(new NoOp())
                .graphBuilder()
                .addInputs("in")
                .addLayer("embedding", new DenseLayer.Builder().nOut(loss.dimension())
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new LossLayer.Builder(loss).activation(Activation.IDENTITY).build(), "embedding")
                .setOutputs("loss")
                .setInputTypes(InputType.feedForward(4))
                .build();
    }

    @Test
    void graphsHoldTheLossInstanceAndSurviveJson() {
        INDArray p = LossChecks.rows(Polytopes.simplex(4));
        SquaredCosineLoss loss = new SquaredCosineLoss(p);
        ComputationGraphConfiguration conf = graph(loss);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph g = new ComputationGraph(back);
        g.init();
        assertEquals(1, TargetLosses.find(g).size());
        TargetLoss inGraph = TargetLosses.find(g).get(0);
        assertEquals(loss, inGraph);
        assertSame(inGraph, TargetLosses.find(g).get(0));

        INDArray x = Nd4j.rand(DataType.DOUBLE, 5, 4);
        DataSet ds = new DataSet(x, DoublePrecision.oneHot(4, 0, 1, 2, 3, 0));
        double before = g.score(ds);
        inGraph.assign(p, new int[] {1, 2, 3, 0});
        double after = g.score(ds);
        assertTrue(Math.abs(after - before) > 1e-6, before + " vs " + after);
    }
}
