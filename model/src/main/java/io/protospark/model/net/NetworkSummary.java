package io.protospark.model.net;

import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A printable description of a network configuration: its layers, parameter counts and head. Computed from the
 * configuration alone, so validating a face model with a 12,500-d head allocates nothing.
 */
public record NetworkSummary(List<LayerRow> layers, long trainableParams, long fixedParams, String head) {

    /** One layer: name, DL4J configuration type, parameter count and whether those parameters train. */
    public record LayerRow(int index, String name, String type, long params, boolean trainable) {
    }

    /** The summary of the network {@link Networks#configuration} builds for these settings. */
    public static NetworkSummary of(ComputationGraphConfiguration conf, ModelSettings s, PrototypeSet prototypes) {
        List<LayerRow> rows = new ArrayList<>();
        long trainable = 0;
        long fixed = 0;
        int index = 0;
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            Layer layer = lv.getLayerConf().getLayer();
            long n = layer.initializer().numParams(lv.getLayerConf());
            boolean frozen = layer instanceof DenseLayer d && !d.hasBias()
                    && d.getIUpdater() instanceof Sgd sgd && sgd.getLearningRate() == 0.0;
            rows.add(new LayerRow(index++, e.getKey(), layer.getClass().getSimpleName(), n, !frozen));
            if (frozen) {
                fixed += n;
            } else {
                trainable += n;
            }
        }
        String head;
        if (s.head().kind() == HeadKind.LEARNED) {
            head = "learned softmax " + s.embeddingDim() + " -> " + s.classes() + " (weights and bias train)";
        } else if (s.head().kind() == HeadKind.NORMALIZED) {
            head = "weight-normalised learned " + s.embeddingDim() + " -> " + s.classes()
                    + " (rows re-normalised every pass, no bias)";
        } else if (s.head().loss().isTarget()) {
            head = "fixed targets of the " + io.protospark.config.Configs.configName(s.head().loss()) + " loss: "
                    + prototypes;
        } else {
            head = "fixed " + prototypes;
        }
        return new NetworkSummary(rows, trainable, fixed, head);
    }

    /** A table for the console. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        int width = Math.max(12, layers.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        String fmtHead = "%-4s %-" + width + "s %-24s %12s  %s%n";
        String fmtRow = "%-4d %-" + width + "s %-24s %,12d  %s%n";
        sb.append(String.format(Locale.ROOT, fmtHead, "#", "layer", "type", "params", ""));
        for (LayerRow r : layers) {
            sb.append(String.format(Locale.ROOT, fmtRow, r.index(), r.name(), r.type(),
                    r.params(), r.params() == 0 ? "" : r.trainable() ? "trainable" : "fixed"));
        }
        sb.append(String.format(Locale.ROOT, "trainable parameters: %,d; fixed parameters: %,d%n", trainableParams,
                fixedParams));
        sb.append("head: ").append(head).append(System.lineSeparator());
        return sb.toString();
    }
}
