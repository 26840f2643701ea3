package io.protospark.model.net;

import io.protospark.config.SettingsException;
import io.protospark.model.fast.ChannelPrelu;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fine-tuning's start ({@code protospark.train.init-from}): the parameters of an earlier network copied into a new one,
 * layer by layer by name. Shared layers must agree in every parameter's shape; layers the earlier network lacks (a
 * new DAM, the revised network's map) keep their fresh initialisation; at least one layer must be shared. The
 * optimizer state is not copied.
 *
 * <p>A per-channel PReLU ({@link ChannelPrelu} {@code <name>}) also takes its slopes from a network saved before
 * protospark had that layer, where the slopes were the weights of a depthwise 1×1 convolution {@code <name>_slope}.
 */
public final class SharedLayers {
    private SharedLayers() {
    }

    /** What {@link #copy} did. */
    public record Copied(long parameters, List<String> fresh) {
    }

    /**
     * Copies every layer of {@code earlier} that {@code net} has by name into {@code net}; {@code source} names the
     * earlier model in errors. Nothing is copied unless every shared layer fits.
     *
     * @throws SettingsException naming {@code protospark.train.init-from} when a shared layer's shapes differ or no
     *                           layer is shared
     */
    public static Copied copy(ComputationGraph earlier, ComputationGraph net, String source) {
        List<String> fresh = new ArrayList<>();
        Map<String, INDArray> olderSlopes = new HashMap<>(); // ChannelPrelu name -> the older slope convolution's W
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.numParams() == 0) {
                continue;
            }
            INDArray slopes = earlierSlopes(earlier, layer);
            if (slopes != null) {
                olderSlopes.put(name, slopes);
                continue;
            }
            var their = earlier.getVertex(name);
            if (their == null || !their.hasLayer() || their.getLayer().numParams() == 0) {
                fresh.add(name);
                continue;
            }
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                INDArray theirs = their.getLayer().paramTable().get(e.getKey());
                if (theirs == null || !Arrays.equals(theirs.shape(), e.getValue().shape())) {
                    throw new SettingsException("protospark.train.init-from",
                            "must hold a network whose shared layers have the same parameter shapes", source,
                            "layer " + name + " parameter " + e.getKey() + " is "
                                    + Arrays.toString(e.getValue().shape()) + " here and "
                                    + (theirs == null ? "missing" : Arrays.toString(theirs.shape())) + " there");
                }
            }
        }
        if (Arrays.stream(net.getLayers()).filter(l -> l.numParams() > 0).count() == fresh.size()) {
            throw new SettingsException("protospark.train.init-from", "must hold a network sharing layers with this "
                    + "one", source, "none of its layer names match: it has "
                    + Arrays.stream(earlier.getLayers()).map(l -> l.conf().getLayer().getLayerName())
                    .limit(12).toList() + "…");
        }
        long copied = 0;
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.numParams() == 0 || fresh.contains(name)) {
                continue;
            }
            INDArray slopes = olderSlopes.get(name);
            if (slopes != null) {
                INDArray a = layer.getParam(ChannelPrelu.SLOPE_KEY);
                a.assign(slopes.reshape(a.shape()).castTo(a.dataType()));
                copied += a.length();
                continue;
            }
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                INDArray theirs = earlier.getLayer(name).paramTable().get(e.getKey());
                e.getValue().assign(theirs.castTo(e.getValue().dataType()));
                copied += theirs.length();
            }
        }
        return new Copied(copied, List.copyOf(fresh));
    }

    /**
     * For a {@link ChannelPrelu} that {@code earlier} lacks by name, the c slopes of the older construction's depthwise
     * slope convolution {@code <name>_slope} (key W) when {@code earlier} has one of c weights; else null.
     */
    private static INDArray earlierSlopes(ComputationGraph earlier, Layer layer) {
        if (!(layer.conf().getLayer() instanceof ChannelPrelu)) {
            return null;
        }
        String name = layer.conf().getLayer().getLayerName();
        if (earlier.getVertex(name) != null) {
            return null;
        }
        var slope = earlier.getVertex(name + "_slope");
        if (slope == null || !slope.hasLayer()) {
            return null;
        }
        INDArray w = slope.getLayer().paramTable().get("W");
        return w != null && w.length() == layer.getParam(ChannelPrelu.SLOPE_KEY).length() ? w : null;
    }
}
