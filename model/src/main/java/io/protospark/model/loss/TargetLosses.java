package io.protospark.model.loss;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** Finding the target losses inside a network, so that the trainer can replace their targets in place. */
public final class TargetLosses {
    private TargetLosses() {
    }

    /**
     * Every {@link TargetLoss} held by the output layers of {@code net}'s configuration. These are the instances the
     * layers use, so {@link TargetLoss#setTargets} / {@link TargetLoss#assign} on them changes the next score and
     * gradient without rebuilding the network (a network rebuilt from JSON gets its own copies).
     */
    public static List<TargetLoss> find(MultiLayerNetwork net) {
        List<TargetLoss> out = new ArrayList<>();
        for (NeuralNetConfiguration c : net.getLayerWiseConfigurations().getConfs()) {
            add(c, out);
        }
        return out;
    }

    /** The same for a graph: the target losses of its layer vertices, in the configuration's vertex order. */
    public static List<TargetLoss> find(ComputationGraph graph) {
        List<TargetLoss> out = new ArrayList<>();
        for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                add(lv.getLayerConf(), out);
            }
        }
        return out;
    }

    private static void add(NeuralNetConfiguration c, List<TargetLoss> out) {
        ILossFunction fn = null;
        if (c.getLayer() instanceof LossLayer l) {
            fn = l.getLossFn();
        } else if (c.getLayer() instanceof BaseOutputLayer l) {
            fn = l.getLossFn();
        }
        if (fn instanceof TargetLoss t) {
            out.add(t);
        }
    }
}
