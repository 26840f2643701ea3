package io.protospark.model.net;

import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A printable description of a built network: its layers, parameter counts and prototypes. */
public record NetworkSummary(List<LayerRow> layers, long trainableParams, long fixedParams, String head) {

    /** One layer: name, DL4J type, parameter count and whether those parameters train. */
    public record LayerRow(int index, String name, String type, long params, boolean trainable) {
    }

    public static NetworkSummary of(MultiLayerNetwork net, ModelSettings s, PrototypeSet prototypes) {
        List<LayerRow> rows = new ArrayList<>();
        long trainable = 0;
        long fixed = 0;
        for (Layer l : net.getLayers()) {
            boolean frozen = FixedHead.isFixedLayer(l);
            Layer inner = l;
            String name = l.conf().getLayer().getLayerName();
            rows.add(new LayerRow(l.getIndex(), name, inner.getClass().getSimpleName(), l.numParams(), !frozen));
            if (frozen) {
                fixed += l.numParams();
            } else {
                trainable += l.numParams();
            }
        }
        String head = s.head() == HeadKind.FIXED
                ? "fixed " + prototypes
                : "learned softmax " + s.embeddingDim() + " -> " + s.classes() + " (weights and bias train)";
        return new NetworkSummary(rows, trainable, fixed, head);
    }

    /** A table for the console. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-3s %-12s %-24s %12s  %s%n", "#", "layer", "type", "params", ""));
        for (LayerRow r : layers) {
            sb.append(String.format(Locale.ROOT, "%-3d %-12s %-24s %,12d  %s%n", r.index(), r.name(), r.type(),
                    r.params(), r.params() == 0 ? "" : r.trainable() ? "trainable" : "fixed"));
        }
        sb.append(String.format(Locale.ROOT, "trainable parameters: %,d; fixed parameters: %,d%n", trainableParams,
                fixedParams));
        sb.append("head: ").append(head).append(System.lineSeparator());
        return sb.toString();
    }
}
