package io.protospark.model.energy;

import io.protospark.config.SettingsException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attaches hyperspherical energy regularisers ({@link EnergyRegularization}) to the weight layers of an already built
 * {@link ComputationGraphConfiguration}, so any backbone can be regularised: call
 * {@code EnergyRegularizers.attach(conf, EnergySettings.from(config))} before {@code new ComputationGraph(conf)}.
 *
 * <p>Which layers: every convolution (not depthwise / separable — protospark uses those for PReLU slopes), dense and
 * output layer and every {@link NeuronRowLayer} (SphereConv, SphereDense, the weight-normalised dense head), or only
 * those named in {@code layers}. Frozen layers (DL4J's frozen wrappers, e.g. a fixed-prototype head) are not weight
 * layers here and are skipped.
 * How, as in the seeds (METHODS §3): hidden layers get the configured form, half-space if configured, weight
 * {@code hidden-weight}; the layer named {@code classifier-layer} gets full-space energy with
 * {@code classifier-weight} and is never projected; with a projection, the first weight layer (the one fed by the
 * network input — in the seed the 3-channel first conv) stays unprojected too.
 *
 * <p>Refusals ({@link SettingsException}): a name in {@code layers} or {@code classifier-layer} that is not a weight
 * layer of the graph, and a projection dimension larger than the fan-in of a layer to be projected.
 * Attaching again replaces the energy regularisers attached before.
 */
public final class EnergyRegularizers {
    private EnergyRegularizers() {
    }

    /** One attached regulariser, for logs and tests. */
    public record Attached(String layer, String role, EnergyRegularization regularization) {
    }

    /** Attaches the configured regularisers; returns what was attached, in graph order (empty when disabled). */
    public static List<Attached> attach(ComputationGraphConfiguration conf, EnergySettings s) {
        Map<String, Layer> weightLayers = weightLayers(conf);
        for (Layer l : weightLayers.values()) {
            remove(l);
        }
        if (!s.enabled()) {
            return List.of();
        }
        String classifier = s.classifierLayer() == null ? "" : s.classifierLayer();
        if (!classifier.isEmpty() && !weightLayers.containsKey(classifier)) {
            throw new SettingsException(EnergySettings.PREFIX + "classifier-layer", "is not a weight layer of the network",
                    classifier, "use one of " + weightLayers.keySet() + " or \"\" for none");
        }
        for (String name : s.layers()) {
            if (!weightLayers.containsKey(name)) {
                throw new SettingsException(EnergySettings.PREFIX + "layers", "names a layer that is not a weight "
                        + "layer of the network", name, "use names from " + weightLayers.keySet());
            }
        }
        Set<String> first = firstLayers(conf, weightLayers.keySet());
        List<Attached> out = new ArrayList<>();
        long salt = 0;
        for (Map.Entry<String, Layer> e : weightLayers.entrySet()) {
            String name = e.getKey();
            salt++;
            if (!s.layers().isEmpty() && !s.layers().contains(name) && !name.equals(classifier)) {
                continue;
            }
            Layer layer = e.getValue();
            int neurons = Math.toIntExact(neurons(layer));
            EnergyRegularization r;
            String role;
            if (name.equals(classifier)) {
                r = EnergyRegularization.plain(s.form(), false, s.classifierWeight(), neurons);
                role = "classifier";
            } else if (s.projection() == ProjectionKind.NONE || first.contains(name)) {
                r = EnergyRegularization.plain(s.form(), s.halfSpace(), s.hiddenWeight(), neurons);
                role = s.projection() == ProjectionKind.NONE ? "hidden" : "first (unprojected)";
            } else {
                long fanIn = fanIn(layer);
                if (s.projectionDim() > fanIn) {
                    throw new SettingsException(EnergySettings.PREFIX + "projection-dim",
                            "must not exceed the fan-in of a projected layer; layer '" + name + "' has fan-in " + fanIn,
                            s.projectionDim(), "use projection-dim <= " + fanIn
                            + ", or list the layers to regularise in " + EnergySettings.PREFIX + "layers");
                }
                r = switch (s.projection()) {
                    case RANDOM -> EnergyRegularization.random(s.form(), s.halfSpace(), s.hiddenWeight(), neurons,
                            s.projectionDim(), s.projections(), s.projectionSeed(), salt);
                    case ANGLE_PRESERVING -> EnergyRegularization.learned(ProjectionKind.ANGLE_PRESERVING, s.form(),
                            s.halfSpace(), s.hiddenWeight(), neurons, s.projectionDim(), s.angleSteps(),
                            s.projectionSeed(), salt);
                    case ADVERSARIAL -> EnergyRegularization.learned(ProjectionKind.ADVERSARIAL, s.form(),
                            s.halfSpace(), s.hiddenWeight(), neurons, s.projectionDim(), s.adversarialSteps(),
                            s.projectionSeed(), salt);
                    case NONE -> throw new IllegalStateException();
                };
                role = "hidden (" + s.projection().configName() + ")";
            }
            add(layer, r);
            out.add(new Attached(name, role, r));
        }
        return out;
    }

    /**
     * The driver's step for the learnable CoMHE projections after a Spark parameter-averaging round: every
     * angle-preserving or adversarial {@link EnergyRegularization} of {@code net} catches its P up with the network's
     * iteration count, taking the seed's P steps ({@code steps} per network iteration trained since P was last
     * advanced) on the averaged weights, with the layer's current learning rate. The regularisers are the objects of
     * {@code net}'s configuration, so the next round's workers (which rebuild their networks from that configuration)
     * start from the advanced P, and {@code ModelSerializer} saves it. Cheap and a no-op without learnable projections,
     * or when the network itself trained the iterations (plain {@code fit} outside Spark already stepped P).
     *
     * @return the P steps taken over all layers
     */
    public static long advanceProjections(ComputationGraph net) {
        long iteration = net.getConfiguration().getIterationCount();
        int epoch = net.getConfiguration().getEpochCount();
        long taken = 0;
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            Layer conf = layer.conf().getLayer();
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                List<Regularization> rs = conf.getRegularizationByParam(e.getKey());
                if (rs == null) {
                    continue;
                }
                for (Regularization r : rs) {
                    if (r instanceof EnergyRegularization er && er.projection().learnable()) {
                        IUpdater u = conf.getUpdaterByParam(e.getKey());
                        double lr = u == null ? Double.NaN : u.getLearningRate((int) iteration, epoch);
                        taken += er.advanceTo(e.getValue(), lr, iteration);
                    }
                }
            }
        }
        return taken;
    }

    /** The graph's weight layers by name, in the configuration's vertex order. */
    public static Map<String, Layer> weightLayers(ComputationGraphConfiguration conf) {
        Map<String, Layer> out = new LinkedHashMap<>();
        List<String> order = conf.getTopologicalOrderStr() != null ? conf.getTopologicalOrderStr()
                : new ArrayList<>(conf.getVertices().keySet());
        for (String name : order) {
            GraphVertex v = conf.getVertices().get(name);
            if (v instanceof LayerVertex lv && isWeightLayer(lv.getLayerConf().getLayer())) {
                out.put(name, lv.getLayerConf().getLayer());
            }
        }
        return out;
    }

    static boolean isWeightLayer(Layer l) {
        if (l instanceof DepthwiseConvolution2D || l instanceof SeparableConvolution2D) {
            return false;
        }
        return l instanceof ConvolutionLayer || l instanceof DenseLayer || l instanceof BaseOutputLayer
                || l instanceof NeuronRowLayer;
    }

    static long neurons(Layer l) {
        if (l instanceof NeuronRowLayer s) {
            return s.neurons();
        }
        return ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l).getNOut();
    }

    static long fanIn(Layer l) {
        if (l instanceof NeuronRowLayer s) {
            return s.fanIn();
        }
        if (l instanceof ConvolutionLayer c) {
            return c.getNIn() * c.getKernelSize()[0] * c.getKernelSize()[1];
        }
        return ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l).getNIn();
    }

    /** Weight layers reachable from a network input without passing another weight layer. */
    static Set<String> firstLayers(ComputationGraphConfiguration conf, Set<String> weightLayers) {
        Set<String> out = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(conf.getNetworkInputs());
        Set<String> seen = new HashSet<>(todo);
        Map<String, List<String>> consumers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            for (String in : e.getValue()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        while (!todo.isEmpty()) {
            for (String next : consumers.getOrDefault(todo.poll(), List.of())) {
                if (!seen.add(next)) {
                    continue;
                }
                if (weightLayers.contains(next)) {
                    out.add(next);
                } else {
                    todo.add(next);
                }
            }
        }
        return out;
    }

    private static List<Regularization> regs(Layer l) {
        List<Regularization> r = l instanceof BaseLayer b ? b.getRegularization()
                : ((AbstractSameDiffLayer) l).getRegularization();
        return r == null ? new ArrayList<>() : new ArrayList<>(r);
    }

    private static void set(Layer l, List<Regularization> r) {
        if (l instanceof BaseLayer b) {
            b.setRegularization(r);
        } else {
            ((AbstractSameDiffLayer) l).setRegularization(r);
        }
    }

    private static void remove(Layer l) {
        List<Regularization> r = regs(l);
        r.removeIf(x -> x instanceof EnergyRegularization);
        set(l, r);
    }

    private static void add(Layer l, EnergyRegularization e) {
        List<Regularization> r = regs(l);
        r.add(e);
        set(l, r);
    }
}
