package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Swaps DL4J's stock convolution, pooling, batch-normalisation and ReLU layers in a network configuration for the
 * {@code Fast*} layers of this package. Float convolutions and batch norms call oneDNN directly
 * ({@link DnnlConvolution}, {@link DnnlBatchNorm}); pooling runs as single libnd4j ops (on oneDNN when the
 * nd4j-native classifier {@code linux-x86_64-onednn-avx2} is loaded, see {@link #oneDnnLoaded()}); anything the
 * direct path does not take (double precision, other backends) runs on libnd4j's ops.
 *
 * <p>In a graph, the maps between the input and the global pooling are also put in channels-last order when every
 * layer on them allows it ({@link ChannelsLast}): oneDNN convolves NHWC maps without reordering them.
 *
 * <p>A batch norm whose only reader is a plain ReLU is fused with it: the batch norm applies the ReLU in its own pass
 * ({@link FastBatchNormalization#isFusedRelu()}). In a graph, so is a residual addition read only by a ReLU
 * ({@link FastAdd}), and the ReLU vertex is removed, its readers reading the fused vertex; in a layer list (whose
 * layer indices must stay) the ReLU layer passes its input through ({@link FastRelu#isPassThrough()}).
 *
 * <p>The result is an ordinary {@link ComputationGraphConfiguration} / {@link MultiLayerConfiguration}: the same
 * vertices and names (less the fused ReLUs of a graph), parameter shapes and order, the same JSON apart from the layer
 * and vertex class names and those two flags, so a network built from it trains under DL4J's Spark parameter
 * averaging, saves and restores with {@code ModelSerializer}, and takes the parameters of a network built from the
 * stock configuration ({@code setParams}) unchanged.
 *
 * <p>Converted: exactly {@link ConvolutionLayer} without dilation (not its depthwise, separable or transposed
 * subclasses),
 * exactly {@link SubsamplingLayer} (2-D max and average pooling; p-norm pooling is left stock), exactly
 * {@link BatchNormalization} unless γ and β are locked, and exactly {@link ActivationLayer} with a plain ReLU
 * ({@link FastRelu}), and any layer of another module that offers a fast variant of itself ({@link Convertible}, e.g.
 * the SphereConv of the model module). Everything else is left as it is: dense layers already run on the BLAS gemm, global pooling,
 * other activations and element-wise vertices are single native ops in stock DL4J.
 */
public final class FastLayers {
    private FastLayers() {
    }

    /** A copy of {@code conf} with every convertible layer replaced; {@code conf} itself is not changed. */
    public static ComputationGraphConfiguration convert(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration copy = conf.clone();
        for (Map.Entry<String, GraphVertex> e : copy.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex vertex) {
                NeuralNetConfiguration layerConf = vertex.getLayerConf();
                layerConf.setLayer(convert(layerConf.getLayer()));
            }
        }
        ChannelsLast.apply(copy);
        fuseRelus(copy);
        return copy;
    }

    /**
     * Whether {@link #convert} put this graph's maps in channels-last order ({@link ChannelsLast}): its input layers
     * carry an {@link NchwToNhwc} pre-processor.
     */
    public static boolean isChannelsLast(ComputationGraphConfiguration conf) {
        return conf.getVertices().values().stream()
                .anyMatch(v -> v instanceof LayerVertex lv && lv.getPreProcessor() instanceof NchwToNhwc);
    }

    /** A copy of {@code conf} with every convertible layer replaced; {@code conf} itself is not changed. */
    public static MultiLayerConfiguration convert(MultiLayerConfiguration conf) {
        MultiLayerConfiguration copy = conf.clone();
        for (NeuralNetConfiguration layerConf : copy.getConfs()) {
            layerConf.setLayer(convert(layerConf.getLayer()));
        }
        List<NeuralNetConfiguration> confs = copy.getConfs();
        for (int i = 0; i + 1 < confs.size(); i++) {
            if (copy.getInputPreProcess(i + 1) == null) {
                fuse(confs.get(i).getLayer(), confs.get(i + 1).getLayer());
            }
        }
        return copy;
    }

    /**
     * Fuses each fast batch norm and each addition vertex whose only reader is a fast ReLU that reads nothing else
     * (and is not a network output) with that ReLU: the batch norm ({@link FastBatchNormalization#isFusedRelu()}) or
     * the addition (made a {@link FastAdd}) computes the ReLU in its own pass and the ReLU vertex is removed, its
     * readers reading the fused vertex instead. A pass-through vertex would still cost a copy of the maps in every
     * backward pass and inference (DL4J moves a layer's output into that layer's workspace).
     *
     * <p>ReLU vertices have no parameters, but DL4J lays the parameters out in the graph's topological order, which a
     * smaller graph could change. The order of the unfused graph, minus the removed vertices, is therefore fixed in
     * the configuration (DL4J caches it there, and it is saved with the JSON), so the fused graph takes the stock
     * graph's parameters unchanged.
     */
    private static void fuseRelus(ComputationGraphConfiguration conf) {
        Map<String, List<String>> readers = readers(conf);
        Map<String, String> removed = new LinkedHashMap<>(); // ReLU -> the vertex that absorbs it
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            List<String> r = readers.getOrDefault(e.getKey(), List.of());
            if (r.size() != 1 || conf.getNetworkOutputs().contains(e.getKey())
                    || conf.getNetworkOutputs().contains(r.get(0))
                    || !(conf.getVertices().get(r.get(0)) instanceof LayerVertex reluVertex)
                    || !(reluVertex.getLayerConf().getLayer() instanceof FastRelu relu) || relu.isPassThrough()
                    || reluVertex.getPreProcessor() != null || conf.getVertexInputs().get(r.get(0)).size() != 1) {
                continue;
            }
            if (e.getValue() instanceof LayerVertex v
                    && v.getLayerConf().getLayer() instanceof FastBatchNormalization b) {
                b.absorbRelu();
                removed.put(r.get(0), e.getKey());
            } else if (e.getValue().getClass() == ElementWiseVertex.class
                    && ((ElementWiseVertex) e.getValue()).getOp() == ElementWiseVertex.Op.Add) {
                e.setValue(new FastAdd());
                removed.put(r.get(0), e.getKey());
            }
        }
        if (removed.isEmpty()) {
            return;
        }
        org.deeplearning4j.nn.graph.util.GraphIndices indices =
                new org.deeplearning4j.nn.graph.ComputationGraph(conf).calculateIndices();
        List<String> order = new ArrayList<>();
        for (int idx : indices.getTopologicalSortOrder()) {
            String name = indices.getIdxToName().get(idx);
            if (!removed.containsKey(name)) {
                order.add(name);
            }
        }
        for (Map.Entry<String, String> e : removed.entrySet()) {
            conf.getVertices().remove(e.getKey());
            conf.getVertexInputs().remove(e.getKey());
        }
        for (List<String> inputs : conf.getVertexInputs().values()) {
            inputs.replaceAll(in -> removed.getOrDefault(in, in));
        }
        // DL4J's vertex indices: the network inputs first, then the vertices in the configuration's order
        Map<String, Integer> index = new HashMap<>();
        for (String in : conf.getNetworkInputs()) {
            index.put(in, index.size());
        }
        for (String v : conf.getVertices().keySet()) {
            index.put(v, index.size());
        }
        conf.setTopologicalOrderStr(order);
        conf.setTopologicalOrder(order.stream().mapToInt(index::get).toArray());
    }

    /** For each vertex or network input of {@code conf}, the vertices that read it. */
    static Map<String, List<String>> readers(ComputationGraphConfiguration conf) {
        Map<String, List<String>> readers = new HashMap<>();
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            for (String in : e.getValue()) {
                readers.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        return readers;
    }

    /** Fuses {@code bn} and {@code relu} when they are a fast batch norm and a fast ReLU reading it. */
    private static void fuse(Layer bn, Layer relu) {
        if (bn instanceof FastBatchNormalization b && relu instanceof FastRelu r && !r.isPassThrough()) {
            b.absorbRelu();
            r.setPassThrough(true);
        }
    }

    /**
     * The fast counterpart of one layer configuration (a copy of all its settings), or the layer itself when it has
     * none.
     */
    public static Layer convert(Layer layer) {
        if (layer == null) {
            return null;
        }
        if (layer instanceof Convertible c) {
            return c.fastVariant();
        }
        Class<?> type = layer.getClass();
        if (type == ConvolutionLayer.class) {
            // oneDNN refuses dilated convolutions in Same mode ("could not create a descriptor"); DL4J would then
            // fall back to its Java path with a warning on every call, so dilated convolutions stay stock
            int[] dilation = ((ConvolutionLayer) layer).getDilation();
            boolean dilated = dilation != null && (dilation[0] != 1 || dilation[1] != 1);
            return dilated ? layer : copySettings(layer, new FastConvolution());
        }
        if (type == SubsamplingLayer.class) {
            SubsamplingLayer pool = (SubsamplingLayer) layer;
            boolean supported = switch (pool.getPoolingType()) {
                case MAX, AVG -> true;
                default -> false;
            };
            return supported ? copySettings(layer, new FastSubsampling()) : layer;
        }
        if (type == BatchNormalization.class) {
            BatchNormalization bn = (BatchNormalization) layer;
            return bn.isLockGammaBeta() ? layer : copySettings(layer, new FastBatchNormalization());
        }
        if (type == ActivationLayer.class) {
            return FastRelu.isPlainRelu(((ActivationLayer) layer).getActivationFn())
                    ? copySettings(layer, new FastRelu()) : layer;
        }
        return layer;
    }

    /**
     * A layer configuration defined outside this package that has a fast counterpart of its own (e.g. a SameDiff layer
     * re-implemented on {@link DnnlConv2d}); {@link #convert(Layer)} asks it for that counterpart.
     */
    public interface Convertible {
        /**
         * The fast counterpart: a copy with every setting, parameter and JSON field of this configuration, or this
         * configuration itself when it is already fast. Must not change this configuration.
         */
        Layer fastVariant();
    }

    /** Marks a fast layer configuration defined outside this package, so that {@link #isFast} counts it. */
    public interface Fast {
    }

    /**
     * A fast layer defined outside this package that reads and writes maps only and runs on channels-last maps too:
     * {@link ChannelsLast} treats it like a fast convolution and sets it to NHWC.
     */
    public interface MapLayer extends Fast {
        void setChannelsLast(boolean channelsLast);
    }

    /** Whether a layer configuration is one of the fast layers of this package or marked {@link Fast}. */
    public static boolean isFast(Layer layer) {
        return layer instanceof Fast || layer instanceof FastConvolution || layer instanceof FastSubsampling
                || layer instanceof FastBatchNormalization || layer instanceof FastRelu;
    }

    /**
     * Whether the loaded libnd4j was built with oneDNN. Without it the fast layers still run as single libnd4j ops
     * (libnd4j's own im2col + gemm kernels), but the speed-up is smaller; ship the {@code linux-x86_64-onednn-avx2}
     * classifier of nd4j-native and start the JVM with
     * {@code -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2}.
     */
    public static boolean oneDnnLoaded() {
        return NativeHelpers.oneDnnBuild();
    }

    /**
     * Copies every instance field of {@code source} (declared by its class and all superclasses) into {@code target},
     * whose class extends the source's class and adds no state. The source is cloned first so that the arrays
     * (kernel, stride, padding …) are not shared with the caller's configuration.
     */
    private static <T extends Layer> T copySettings(Layer source, T target) {
        Layer copy = source.clone();
        for (Class<?> c = copy.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    f.set(target, f.get(copy));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot copy setting '" + f.getName() + "' of " + c.getName()
                            + " into " + target.getClass().getName(), e);
                }
            }
        }
        return target;
    }
}
