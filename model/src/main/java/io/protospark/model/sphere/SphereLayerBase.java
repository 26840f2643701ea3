package io.protospark.model.sphere;

import io.protospark.model.energy.NeuronRowLayer;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Common part of protospark's SameDiff-based layers ({@link SphereConv}, {@link SphereDense}): sizes, weight initialisation from the network's global weight init, and a layer
 * implementation that — unlike DL4J 1.0.0-M2.1's stock SameDiff layer, whose regularisation score is always 0 —
 * adds its parameters' {@link Regularization} scores to the network score, so that score and gradient agree (the
 * updater applies the regularisers' gradients either way) — and that undoes the factor 2 by which DL4J 1.0.0-M2.1's
 * SameDiff layers overstate their gradients ({@link SameDiffGradientScale}).
 *
 * <p>The weight {@code W} is stored as [nOut, fan-in…] in c order, so each neuron's weights are contiguous, as in
 * DL4J's convolution and dense layers (see {@link io.protospark.model.energy.NeuronRows}).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public abstract class SphereLayerBase extends SameDiffLayer implements NeuronRowLayer {
    private static final long serialVersionUID = 1L;

    /** The seed's epsilon inside every norm: ‖v‖ = √(Σv² + 1e-4). */
    public static final double NORM_EPS = 1e-4;

    protected long nIn;
    protected long nOut;
    /** Initialiser of W; taken from the network's global configuration when not set on the layer. */
    protected IWeightInit weightInitFn;

    protected SphereLayerBase() {
        this.regularization = new ArrayList<>();
        this.regularizationBias = new ArrayList<>();
    }

    public long getNIn() {
        return nIn;
    }

    public long getNOut() {
        return nOut;
    }

    /**
     * A copy with its own regulariser lists and regulariser copies. DL4J's {@code Layer.clone} copies a SameDiff
     * layer's fields shallowly, so the clones that DL4J makes (e.g. a Spark worker's copy of the broadcast
     * configuration, which in local mode is the driver's own object) would otherwise share stateful regularisers
     * such as the learnable CoMHE projection with the original.
     */
    @Override
    public SphereLayerBase clone() {
        SphereLayerBase c = (SphereLayerBase) super.clone();
        c.regularization = copy(regularization);
        c.regularizationBias = copy(regularizationBias);
        return c;
    }

    private static List<Regularization> copy(List<Regularization> rs) {
        if (rs == null) {
            return null;
        }
        List<Regularization> out = new ArrayList<>(rs.size());
        for (Regularization r : rs) {
            out.add(r.clone());
        }
        return out;
    }

    /** The subclass's own configuration values, compared by {@link #equals}. */
    protected abstract List<Object> ownFields();

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && super.equals(o)
                && ((SphereLayerBase) o).nIn == nIn && ((SphereLayerBase) o).nOut == nOut
                && java.util.Objects.equals(((SphereLayerBase) o).weightInitFn, weightInitFn)
                && java.util.Objects.equals(((SphereLayerBase) o).ownFields(), ownFields());
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(super.hashCode(), nIn, nOut, ownFields());
    }

    /** Number of neurons (output channels or units): the rows of the weight matrix. */
    @Override
    public int neurons() {
        return Math.toIntExact(nOut);
    }

    /** Inputs each neuron sees (k·k·c_in for a convolution, nIn for a dense layer). */
    @Override
    public abstract long fanIn();

    /**
     * Whether the network's global regularisation (L2 / weight decay) is dropped for W. True for SphereConv and
     * SphereDense: the seed applies no weight decay to SphereConv filters, only the orthogonality penalty.
     */
    protected abstract boolean refusesGlobalRegularization();

    @Override
    public void applyGlobalConfig(NeuralNetConfiguration.Builder b) {
        List<Regularization> own = regularization == null ? new ArrayList<>() : new ArrayList<>(regularization);
        List<Regularization> ownBias = regularizationBias == null ? new ArrayList<>() : new ArrayList<>(regularizationBias);
        super.applyGlobalConfig(b);
        if (refusesGlobalRegularization()) {
            regularization = own;
            regularizationBias = ownBias;
        }
        if (regularization == null) {
            regularization = new ArrayList<>();
        }
        if (regularizationBias == null) {
            regularizationBias = new ArrayList<>();
        }
    }

    @Override
    public void applyGlobalConfigToLayer(NeuralNetConfiguration.Builder globalConfig) {
        if (weightInitFn == null) {
            weightInitFn = globalConfig.getWeightInitFn();
        }
    }

    /** Fills W (shape [nOut, …], c order) from the weight init, He-normal when none is configured. */
    protected void initW(INDArray w) {
        long fanIn = fanIn();
        if (weightInitFn == null) {
            w.assign(Nd4j.randn(w.dataType(), w.shape()).muli(Math.sqrt(2.0 / fanIn)));
            return;
        }
        INDArray flat = Nd4j.createUninitialized(w.dataType(), 1, w.length());
        INDArray filled = weightInitFn.init(fanIn, nOut, w.shape(), 'c', flat);
        w.assign(filled.reshape('c', w.shape()));
    }

    /** Flattens a convolutional input for the dense forms, as DL4J's dense layer does. */
    protected static InputPreProcessor flattenIfCnn(InputType inputType) {
        if (inputType instanceof InputType.InputTypeConvolutional c) {
            return new CnnToFeedForwardPreProcessor(c.getHeight(), c.getWidth(), c.getChannels());
        }
        return null;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        RegularizedImpl ret = newImpl(conf, networkDataType);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    /** The layer implementation {@link #instantiate} builds; a subclass may run its passes another way. */
    RegularizedImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new RegularizedImpl(conf, networkDataType);
    }

    /** DL4J's SameDiff layer with the regularisation score counted. */
    static class RegularizedImpl extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {
        RegularizedImpl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** Backprop with DL4J's SameDiff gradient scaling undone (see {@link SameDiffGradientScale}). */
        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            Pair<Gradient, INDArray> p = super.backpropGradient(epsilon, workspaceMgr);
            double factor = SameDiffGradientScale.factor(dataType);
            if (factor != 1.0) {
                for (INDArray g : p.getFirst().gradientForVariable().values()) {
                    g.divi(factor);
                }
                if (p.getSecond() != null) {
                    p.getSecond().divi(factor);
                }
            }
            return p;
        }

        @Override
        public double calcRegularizationScore(boolean backpropParamsOnly) {
            double sum = 0;
            for (Map.Entry<String, INDArray> e : paramTable().entrySet()) {
                List<Regularization> rs = layerConf().getRegularizationByParam(e.getKey());
                if (rs == null) {
                    continue;
                }
                for (Regularization r : rs) {
                    sum += r.score(e.getValue(), getIterationCount(), getEpochCount());
                }
            }
            return sum;
        }
    }
}
