package io.protospark.model.head;

import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime of {@link NormalizedDense}. Forward: n = max(‖W_{:,k}‖, ε) (1×K), Ŵ = W/n, z = X·Ŵ. Backward, with
 * G = ∂L/∂z: ∂L/∂X = G·Ŵᵀ, A = Xᵀ·G, ∂L/∂W = (A − Ŵ ⊙ colsum(Ŵ ⊙ A))/n, where the projection term is dropped for
 * clamped columns (there the map is W/ε, linear).
 */
final class NormalizedDenseLayer extends BaseLayer<NormalizedDense> {
    private static final long serialVersionUID = 1L;

    NormalizedDenseLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public boolean hasBias() {
        return false;
    }

    @Override
    public boolean hasLayerNorm() {
        return false;
    }

    private record Normalized(INDArray unit, INDArray norms, INDArray clamped) {
    }

    private Normalized normalize(INDArray w) {
        INDArray raw = w.norm2(true, 0);
        INDArray norms = Transforms.max(raw, NormalizedDense.NORM_EPS, true);
        INDArray clamped = raw.lt(NormalizedDense.NORM_EPS).castTo(w.dataType());
        return new Normalized(w.divRowVector(norms), norms, clamped);
    }

    private void checkInput(INDArray w) {
        if (input.rank() != 2 || input.columns() != w.rows()) {
            throw new DL4JInvalidInputException("NormalizedDense expects an N×" + w.rows() + " input, got shape "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
    }

    @Override
    protected INDArray preOutput(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray w = getParamWithNoise(DefaultParamInitializer.WEIGHT_KEY, training, workspaceMgr);
        checkInput(w);
        INDArray unit = normalize(w).unit();
        INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, w.dataType(), input.size(0), w.size(1));
        input.castTo(w.dataType()).mmuli(unit, z);
        if (maskArray != null) {
            applyMask(z);
        }
        return z;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        INDArray z = preOutput(training, workspaceMgr);
        INDArray out = layerConf().getActivationFn().getActivation(z, training);
        if (maskArray != null) {
            applyMask(out);
        }
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray w = getParamWithNoise(DefaultParamInitializer.WEIGHT_KEY, true, workspaceMgr);
        checkInput(w);
        Normalized n = normalize(w);
        INDArray x = input.castTo(w.dataType());
        INDArray z = x.mmul(n.unit());
        INDArray delta = layerConf().getActivationFn().backprop(z, epsilon).getFirst();
        if (maskArray != null) {
            applyMask(delta);
        }
        // A = Xᵀ G: gradient with respect to the unit vectors
        INDArray a = x.transpose().mmul(delta);
        INDArray radial = n.unit().mul(a).sum(true, 0).muli(n.clamped().rsub(1.0));
        INDArray gw = a.subi(n.unit().mulRowVector(radial)).diviRowVector(n.norms());
        INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
        weightGrad.assign(gw);
        Gradient ret = new DefaultGradient();
        ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);

        INDArray epsNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(),
                new long[] {w.size(0), delta.size(0)}, 'f');
        epsNext = n.unit().mmuli(delta.transpose(), epsNext).transpose();
        weightNoiseParams.clear();
        epsNext = backpropDropOutIfPresent(epsNext);
        return new Pair<>(ret, epsNext);
    }

    @Override
    public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        throw new UnsupportedOperationException("NormalizedDense is trained through its network, not on its own");
    }
}
