package io.protospark.model.head;

import io.protospark.model.energy.NeuronRowLayer;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Configuration of the weight-normalised learnable classifier, RePoNet's "trainable" baseline: logits
 * z_k = (w_k/‖w_k‖)·f, no bias, the K class vectors w_k trained.
 *
 * <p>The seed (Pernici et al., RePoNet) overwrites its classifier rows with their unit-norm version before every
 * forward pass and then applies a plain linear layer, so its update is the full gradient followed by a
 * re-projection onto the sphere. We keep the raw weights and differentiate through the normalisation instead
 * (classic weight normalisation without a gain): ∂L/∂w_k = (I − ŵ_kŵ_kᵀ)(∂L/∂ŵ_k)/‖w_k‖. Both give the same
 * function class (unit class vectors, logits ‖f‖cos θ_k); their updates differ in the radial part and by the factor
 * 1/‖w_k‖. Weight decay, when configured, acts on the raw weights and so only changes that factor.
 *
 * <p>The weight W is d×K (DL4J's nIn×nOut, parameter key {@code "W"}): column k is w_k, as in a stock dense layer,
 * so {@link #normalizedRows} gives the K×d matrix the {@link Decision} rules take. Norms are clamped below at
 * {@link #NORM_EPS} (PyTorch's {@code F.normalize}); a column shorter than that is divided by the constant.
 * The activation defaults to identity: the layer is meant to feed a softmax cross-entropy {@code LossLayer} or an
 * {@code OutputLayer}-free head. Usage in a graph:
 * <pre>{@code
 * g.addLayer("head", new NormalizedDense.Builder().nIn(d).nOut(k).build(), "embedding");
 * g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build(), "head");
 * }</pre>
 * The configuration is plain DL4J JSON (it carries no extra fields), so {@code ComputationGraphConfiguration.toJson()}
 * ships it to Spark executors like any stock layer.
 *
 * <p>A hand-written layer rather than a {@code SameDiffLayer}: it scales the GEMM output by 1/‖w_k‖ instead of
 * building Ŵ, so its forward costs what a stock bias-free {@code DenseLayer} costs (measured at d = 512, K = 1000,
 * batch 128, float, 2 shared cores: 37 vs 36 ms) and forward + backward about 1.35× (207 vs 154 ms), the extra being
 * the recomputation of X·W in the backward pass ({@code HeadBenchmarkTest}).
 */
public class NormalizedDense extends FeedForwardLayer implements NeuronRowLayer {
    private static final long serialVersionUID = 1L;

    /** Lower clamp of ‖w_k‖ (PyTorch {@code F.normalize}'s default epsilon). */
    public static final double NORM_EPS = 1e-12;

    /** For Jackson. */
    protected NormalizedDense() {
    }

    /** K, the class vectors: the columns of W (DL4J's nOut). */
    @Override
    public int neurons() {
        return Math.toIntExact(getNOut());
    }

    /** d, the length of each class vector (DL4J's nIn). */
    @Override
    public long fanIn() {
        return getNIn();
    }

    private NormalizedDense(Builder b) {
        super(b);
        initializeConstraints(b);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        NormalizedDenseLayer layer = new NormalizedDenseLayer(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        InputType out = getOutputType(-1, inputType);
        long params = nIn * nOut;
        return new LayerMemoryReport.Builder(layerName, NormalizedDense.class, inputType, out)
                .standardMemory(params, params)
                .workingMemory(0, nIn * nOut, MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof NormalizedDense;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NormalizedDense && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + NormalizedDense.class.hashCode();
    }

    /**
     * The K×d matrix of unit class vectors ŵ_k = w_k/‖w_k‖ for a d×K weight as the layer holds it (a copy).
     */
    public static INDArray normalizedRows(INDArray weight) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("a NormalizedDense weight is d×K (rank 2), got rank " + weight.rank());
        }
        INDArray norms = Transforms.max(weight.norm2(true, 0), NORM_EPS, false);
        return weight.divRowVector(norms).transpose().dup('c');
    }

    /** Builder: {@code nIn(d)} (or inferred from the input type), {@code nOut(K)}, updater, weight init, l2… */
    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        public Builder() {
            activation(Activation.IDENTITY);
        }

        @Override
        @SuppressWarnings("unchecked")
        public NormalizedDense build() {
            if (nOut <= 0) {
                throw new IllegalArgumentException("NormalizedDense: nOut (number of classes K) must be positive, got "
                        + nOut);
            }
            return new NormalizedDense(this);
        }
    }

    /** DL4J's dense parameter layout (key "W", d×K, 'f' order) without a bias. */
    static final class Params extends DefaultParamInitializer {
        static final Params INSTANCE = new Params();

        @Override
        protected boolean hasBias(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return !(layer instanceof NormalizedDense) && super.hasBias(layer);
        }

        @Override
        protected boolean hasLayerNorm(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return !(layer instanceof NormalizedDense) && super.hasLayerNorm(layer);
        }
    }
}
