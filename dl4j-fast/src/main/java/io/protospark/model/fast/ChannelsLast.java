package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts the convolutional part of a fast graph in channels-last (NHWC) order. oneDNN's convolutions run on NHWC
 * maps; on NCHW maps libnd4j reorders every convolution's input to NHWC and its output back, which on a CIFAR ResNet
 * took longer than the convolutions themselves. Here the maps stay NHWC from the first layer to the global pooling:
 * the layers that read the network input get an {@link NchwToNhwc} pre-processor (the network still takes NCHW),
 * every convolution, pooling, batch norm and {@link ChannelPrelu} on a map is set to NHWC, and global pooling pools
 * dimensions 1 and 2. Parameters do not change (DL4J keeps convolution weights as [out, in, kH, kW] in both
 * orders), so the graph's outputs, gradients and parameters are those of the NCHW graph.
 *
 * <p>Only graphs whose maps pass through nothing else are rewritten: every vertex that reads a map must be a
 * convolution, pooling, batch-norm or PReLU layer of this package's kinds, an activation layer, an element-wise
 * vertex over maps, or a global pooling layer over the spatial dimensions, without a pre-processor, or a layer that
 * flattens the map with DL4J's channels-first flatten (a dense layer on a map; its flatten becomes an
 * {@link NhwcFlatten}, which reads the NHWC map in NCHW order, so the dense weights keep their meaning), and no map
 * may be a network output.
 * Fast layers of other modules that declare themselves {@link FastLayers.MapLayer} (the fast SphereConv) count as
 * convolutions. Anything else (a merge along channels, a stock SameDiff layer such as SphereConv, a flatten vertex)
 * leaves the graph as it is.
 */
final class ChannelsLast {
    private ChannelsLast() {
    }

    /** Rewrites {@code conf} in place when it qualifies; returns whether it did. */
    static boolean apply(ComputationGraphConfiguration conf) {
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> consumers = FastLayers.readers(conf);
        Set<String> imageInputs = new HashSet<>();
        for (String in : conf.getNetworkInputs()) {
            List<String> readers = consumers.getOrDefault(in, List.of());
            long spatial = readers.stream().filter(r -> isMapLayer(vertices.get(r))).count();
            if (spatial == 0) {
                continue;
            }
            if (spatial != readers.size()) {
                return false; // an image input also read by something else
            }
            imageInputs.add(in);
        }
        if (imageInputs.isEmpty()) {
            return false;
        }
        // vertices whose output is a map, reached from the image inputs
        Set<String> maps = new HashSet<>(imageInputs);
        Set<String> pools = new HashSet<>();
        Set<String> flattens = new HashSet<>();
        Deque<String> queue = new ArrayDeque<>(imageInputs);
        while (!queue.isEmpty()) {
            String v = queue.poll();
            for (String reader : consumers.getOrDefault(v, List.of())) {
                GraphVertex gv = vertices.get(reader);
                if (isMapLayer(gv) || gv instanceof ElementWiseVertex) {
                    if (maps.add(reader)) {
                        queue.add(reader);
                    }
                } else if (isSpatialGlobalPooling(gv)) {
                    pools.add(reader);
                } else if (isNchwFlatten(gv) && conf.getVertexInputs().get(reader).size() == 1) {
                    flattens.add(reader);
                } else {
                    return false;
                }
            }
        }
        for (String v : maps) {
            if (conf.getNetworkOutputs().contains(v)) {
                return false;
            }
            if (vertices.get(v) instanceof ElementWiseVertex
                    && !maps.containsAll(conf.getVertexInputs().getOrDefault(v, List.of()))) {
                return false; // adds a map to something that is not one
            }
        }
        for (Map.Entry<String, GraphVertex> e : vertices.entrySet()) {
            if (isSpatialOnly(e.getValue()) && !maps.contains(e.getKey())) {
                return false; // a convolution or pooling the image inputs do not reach: it reads some other map
            }
        }
        for (String v : maps) {
            if (vertices.get(v) instanceof LayerVertex lv) {
                setNhwc(lv.getLayerConf().getLayer());
            }
        }
        for (String p : pools) {
            ((GlobalPoolingLayer) ((LayerVertex) vertices.get(p)).getLayerConf().getLayer())
                    .setPoolingDimensions(new int[]{1, 2});
        }
        for (String f : flattens) {
            LayerVertex lv = (LayerVertex) vertices.get(f);
            CnnToFeedForwardPreProcessor flat = (CnnToFeedForwardPreProcessor) lv.getPreProcessor();
            lv.setPreProcessor(new NhwcFlatten(flat.getInputHeight(), flat.getInputWidth(), flat.getNumChannels()));
        }
        for (String in : imageInputs) {
            for (String reader : consumers.get(in)) {
                ((LayerVertex) vertices.get(reader)).setPreProcessor(new NchwToNhwc());
            }
        }
        return true;
    }

    /** A layer vertex without pre-processor that maps a map to a map and takes either order. */
    private static boolean isMapLayer(GraphVertex v) {
        if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null) {
            return false;
        }
        Layer l = lv.getLayerConf().getLayer();
        return l instanceof FastConvolution || l instanceof FastSubsampling || l instanceof FastBatchNormalization
                || l.getClass() == ActivationLayer.class || l instanceof FastRelu || l instanceof ChannelPrelu
                || l instanceof FastLayers.MapLayer;
    }

    /** Convolution and pooling, which only ever read maps (batch norm and activations also read vectors). */
    private static boolean isSpatialOnly(GraphVertex v) {
        return v instanceof LayerVertex lv && (lv.getLayerConf().getLayer() instanceof ConvolutionLayer
                || lv.getLayerConf().getLayer() instanceof SubsamplingLayer
                || lv.getLayerConf().getLayer() instanceof FastLayers.MapLayer);
    }

    /** A layer that reads a map through DL4J's channels-first flatten (a dense layer on a map). */
    private static boolean isNchwFlatten(GraphVertex v) {
        return v instanceof LayerVertex lv && lv.getPreProcessor() != null
                && lv.getPreProcessor().getClass() == CnnToFeedForwardPreProcessor.class
                && ((CnnToFeedForwardPreProcessor) lv.getPreProcessor()).getFormat() == CNN2DFormat.NCHW
                && ((CnnToFeedForwardPreProcessor) lv.getPreProcessor()).getNumChannels() > 0;
    }

    private static boolean isSpatialGlobalPooling(GraphVertex v) {
        if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null
                || lv.getLayerConf().getLayer().getClass() != GlobalPoolingLayer.class) {
            return false;
        }
        int[] dims = ((GlobalPoolingLayer) lv.getLayerConf().getLayer()).getPoolingDimensions();
        return dims == null || Arrays.equals(dims, new int[]{2, 3});
    }

    private static void setNhwc(Layer l) {
        if (l instanceof ConvolutionLayer c) {
            c.setCnn2dDataFormat(CNN2DFormat.NHWC);
        } else if (l instanceof SubsamplingLayer s) {
            s.setCnn2dDataFormat(CNN2DFormat.NHWC);
        } else if (l instanceof BatchNormalization b) {
            b.setCnn2DFormat(CNN2DFormat.NHWC);
        } else if (l instanceof ChannelPrelu p) {
            p.setCnn2dDataFormat(CNN2DFormat.NHWC);
        } else if (l instanceof FastLayers.MapLayer m) {
            m.setChannelsLast(true);
        }
    }
}
