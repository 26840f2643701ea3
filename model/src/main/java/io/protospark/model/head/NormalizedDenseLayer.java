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
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime of {@link NormalizedDense}. With n = max(‖W_{:,k}‖, ε) (1×K) the layer scales the outputs rather than the
 * weights, which keeps the d×K work to the GEMMs: z = (X·W) / n. Backward, with G = ∂L/∂z and G' = G / n:
 * ∂L/∂X = G'·Wᵀ, and ∂L/∂W = Xᵀ·G' − W ⊙ (c / n²) with c_k = Σ_i z_ik G_ik (= ŵ_k · (Xᵀ G)_k, the radial part);
 * the radial term is dropped for clamped columns (there the map is W/ε, linear).
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

    /** Column norms clamped at ε (1×K) and the indicator of clamped columns. */
    private record Norms(INDArray norms, INDArray clamped) {
    }

    private static Norms norms(INDArray w) {
        INDArray raw = w.norm2(true, 0);
        return new Norms(Transforms.max(raw, NormalizedDense.NORM_EPS, true),
                raw.lt(NormalizedDense.NORM_EPS).castTo(w.dataType()));
    }

    private void checkInput(INDArray w) {
        if (input.rank() != 2 || input.columns() != w.rows()) {
            throw new DL4JInvalidInputException("NormalizedDense expects an N×" + w.rows() + " input, got shape "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
    }

    /** z = (X·W)/n into an array of the given type. */
    private INDArray logits(INDArray x, INDArray w, INDArray n, LayerWorkspaceMgr mgr, ArrayType type) {
        INDArray z = mgr.createUninitialized(type, w.dataType(), new long[] {x.size(0), w.size(1)}, 'f');
        Nd4j.gemm(x, w, z, false, false, 1.0, 0.0);
        return z.diviRowVector(n);
    }

    @Override
    protected INDArray preOutput(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray w = getParamWithNoise(DefaultParamInitializer.WEIGHT_KEY, training, workspaceMgr);
        checkInput(w);
        INDArray z = logits(input.castTo(w.dataType()), w, norms(w).norms(), workspaceMgr, ArrayType.ACTIVATIONS);
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
        Norms n = norms(w);
        INDArray x = input.castTo(w.dataType());
        INDArray z = logits(x, w, n.norms(), workspaceMgr, ArrayType.BP_WORKING_MEM);
        INDArray delta = layerConf().getActivationFn().backprop(z.dup(), epsilon).getFirst();
        if (maskArray != null) {
            applyMask(delta);
        }
        INDArray radial = z.muli(delta).sum(true, 0).muli(n.clamped().rsub(1.0))
                .divi(n.norms()).divi(n.norms());
        INDArray scaled = delta.diviRowVector(n.norms());
        INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
        Nd4j.gemm(x, scaled, weightGrad, true, false, 1.0, 0.0);
        weightGrad.subi(w.mulRowVector(radial));
        Gradient ret = new DefaultGradient();
        ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);

        INDArray epsNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(),
                new long[] {w.size(0), delta.size(0)}, 'f');
        epsNext = w.mmuli(scaled.transpose(), epsNext).transpose();
        weightNoiseParams.clear();
        epsNext = backpropDropOutIfPresent(epsNext);
        return new Pair<>(ret, epsNext);
    }

    @Override
    public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        throw new UnsupportedOperationException("NormalizedDense is trained through its network, not on its own");
    }
}
