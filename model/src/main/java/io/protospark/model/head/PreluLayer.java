package io.protospark.model.head;

import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime of {@link Prelu}. With neg = min(x, 0): y = max(x, 0) + a ⊙ neg; ∂L/∂x = g ⊙ (1 − m + a ⊙ m) with
 * m = [x ≤ 0] (PyTorch's convention at 0); ∂L/∂a = Σ g ⊙ neg over the batch (and over features when shared).
 */
final class PreluLayer extends BaseLayer<Prelu> {
    private static final long serialVersionUID = 1L;

    PreluLayer(NeuralNetConfiguration conf, DataType dataType) {
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

    private INDArray x() {
        if (input.rank() != 2 || input.columns() != layerConf().getNIn()) {
            throw new DL4JInvalidInputException("Prelu expects an N×" + layerConf().getNIn() + " input, got shape "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
        return input.castTo(dataType);
    }

    private INDArray scaleBySlope(INDArray arr, INDArray a) {
        return layerConf().isShared() ? arr.muli(a.getDouble(0)) : arr.muliRowVector(a);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray x = x();
        INDArray a = getParamWithNoise(Prelu.SLOPE_KEY, training, workspaceMgr);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        INDArray neg = Transforms.min(x, 0.0, true);
        out.assign(x).subi(neg).addi(scaleBySlope(neg, a));
        if (maskArray != null) {
            applyMask(out);
        }
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = x();
        INDArray a = getParamWithNoise(Prelu.SLOPE_KEY, true, workspaceMgr);
        INDArray g = epsilon.castTo(dataType);
        if (maskArray != null) {
            g = g.dup();
            applyMask(g);
        }
        INDArray neg = Transforms.min(x, 0.0, true);
        INDArray gradA = gradientViews.get(Prelu.SLOPE_KEY);
        INDArray gNeg = g.mul(neg);
        if (layerConf().isShared()) {
            gradA.assign(gNeg.sumNumber().doubleValue());
        } else {
            gradA.assign(gNeg.sum(true, 0));
        }
        INDArray m = x.lte(0.0).castTo(dataType);
        // factor = 1 − m + a ⊙ m
        INDArray factor = scaleBySlope(m.dup(), a).addi(m.rsubi(1.0));
        INDArray epsNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        epsNext.assign(g).muli(factor);
        Gradient ret = new DefaultGradient();
        ret.gradientForVariable().put(Prelu.SLOPE_KEY, gradA);
        weightNoiseParams.clear();
        epsNext = backpropDropOutIfPresent(epsNext);
        return new Pair<>(ret, epsNext);
    }

    @Override
    public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        throw new UnsupportedOperationException("Prelu is trained through its network, not on its own");
    }
}
