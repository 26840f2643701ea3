package io.protospark.model.net;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * The loss of a graph's output layer from the activations of one inference pass
 * ({@code ComputationGraph.feedForward(features, false)}), so that a pass that classifies also scores, without running
 * the network a second time as {@link ComputationGraph#score} does.
 *
 * <p>{@link #score} hands the activation of the vertex the output layer reads ({@link #input}; through the output
 * vertex's pre-processor, if any) and the labels to the network's own output layer and asks it for its score, as DL4J
 * 1.0.0-M2.1's {@code ComputationGraph.score(DataSet, false)} does for an unmasked minibatch: the layer's loss function
 * summed over the examples and divided by their number (a loss layer scores its input as it is; an output layer
 * recomputes its affine map, one matrix product), plus the regularisation score of the whole network,
 * {@code calcRegularizationScore(true)} ({@link #regularization}). The loss is the layer's own object, so a protospark
 * target loss is scored as {@code score} scores it, with the targets the rebuilt network holds (inline or resolved
 * from their reference). {@link #scoreExamples} is {@code scoreExamples(DataSet, false)}: each example's loss,
 * without the regularisation.
 *
 * <p>Graphs with one input and one output layer only, the networks {@link Networks} builds; not thread-safe (it sets
 * the output layer's input and labels, as {@code score} does).
 */
public final class OutputLoss {
    private final ComputationGraph net;
    private final String input;
    private final InputPreProcessor preProcessor;
    private final Layer layer;

    private OutputLoss(ComputationGraph net, String input, InputPreProcessor preProcessor, Layer layer) {
        this.net = net;
        this.input = input;
        this.preProcessor = preProcessor;
        this.layer = layer;
    }

    /**
     * The output layer of {@code net}.
     *
     * @throws IllegalArgumentException unless the graph has one input and one output, a layer with a loss that reads
     *                                  one vertex
     */
    public static OutputLoss of(ComputationGraph net) {
        List<String> outputs = net.getConfiguration().getNetworkOutputs();
        if (net.getConfiguration().getNetworkInputs().size() != 1 || outputs.size() != 1) {
            throw new IllegalArgumentException("one input and one output expected; the network has inputs "
                    + net.getConfiguration().getNetworkInputs() + " and outputs " + outputs);
        }
        String output = outputs.get(0);
        GraphVertex v = net.getVertex(output);
        if (!(v instanceof LayerVertex lv) || !(lv.getLayer() instanceof IOutputLayer)) {
            throw new IllegalArgumentException("the output '" + output + "' is no output layer (a layer with a loss)");
        }
        List<String> in = net.getConfiguration().getVertexInputs().get(output);
        if (in == null || in.size() != 1) {
            throw new IllegalArgumentException("the output layer '" + output + "' reads " + in + "; one vertex "
                    + "expected");
        }
        return new OutputLoss(net, in.get(0), lv.getLayerPreProcessor(), lv.getLayer());
    }

    /** The vertex whose activation the output layer reads. */
    public String input() {
        return input;
    }

    /**
     * The regularisation term of the network's score: every layer's {@code calcRegularizationScore(true)} (L1, L2,
     * weight decay and protospark's regularisers on the parameters). It depends on the parameters and the iteration
     * only, so a pass over many minibatches of an unchanging network computes it once.
     */
    public double regularization() {
        return net.calcRegularizationScore(true);
    }

    /**
     * {@code ComputationGraph.score(new DataSet(features, labels), false)} from the activations of those features (a
     * map holding {@link #input}'s): the minibatch's mean loss plus {@code regularization} ({@link #regularization}).
     */
    public double score(Map<String, INDArray> activations, INDArray labels, double regularization) {
        IOutputLayer out = prepare(activations, labels);
        try {
            return out.computeScore(regularization, false, LayerWorkspaceMgr.noWorkspaces());
        } finally {
            layer.clear();
        }
    }

    /**
     * {@code ComputationGraph.scoreExamples(new DataSet(features, labels), false)} from the activations: each example's
     * loss (N×1), without the regularisation.
     */
    public INDArray scoreExamples(Map<String, INDArray> activations, INDArray labels) {
        IOutputLayer out = prepare(activations, labels);
        try {
            return out.computeScoreForExamples(0.0, LayerWorkspaceMgr.noWorkspaces());
        } finally {
            layer.clear();
        }
    }

    /** The output layer with its input (as its vertex would pre-process it) and labels set. */
    private IOutputLayer prepare(Map<String, INDArray> activations, INDArray labels) {
        INDArray x = activations.get(input);
        if (x == null) {
            throw new IllegalArgumentException("no activations of '" + input + "', the output layer's input, among "
                    + activations.keySet());
        }
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        if (preProcessor != null) {
            x = preProcessor.preProcess(x, (int) x.size(0), mgr);
        }
        layer.setInput(x, mgr);
        IOutputLayer out = (IOutputLayer) layer;
        out.setLabels(labels);
        return out;
    }
}
