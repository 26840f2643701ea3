package io.protospark.model.fast;

import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;

/**
 * Runtime of {@link ChannelPrelu}. Float maps on oneDNN ({@link DnnlPrelu}); otherwise, with neg = min(x, 0):
 * y = max(x, 0) + a ⊙ neg; ∂L/∂x = g where x &gt; 0, a ⊙ g elsewhere (PyTorch's convention at 0);
 * ∂L/∂a<sub>k</sub> = Σ g ⊙ neg over the batch and the positions of channel k.
 */
final class ChannelPreluLayer extends BaseLayer<ChannelPrelu> {
    private static final long serialVersionUID = 1L;

    ChannelPreluLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Type type() {
        return Type.CONVOLUTIONAL;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public boolean hasBias() {
        return false;
    }

    private int channelDim() {
        return layerConf().getCnn2dDataFormat() == CNN2DFormat.NHWC ? 3 : 1;
    }

    private INDArray x() {
        int cd = channelDim();
        if (input.rank() != 4 || input.size(cd) != layerConf().getNIn()) {
            throw new DL4JInvalidInputException("ChannelPrelu expects a rank-4 " + layerConf().getCnn2dDataFormat()
                    + " map with " + layerConf().getNIn() + " channels (dimension " + cd + "), got shape "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
        return input.castTo(dataType);
    }

    private DnnlPrelu.Geometry geometry(INDArray x) {
        boolean last = channelDim() == 3;
        long[] s = x.shape();
        return last ? new DnnlPrelu.Geometry(s[0], s[3], s[1], s[2], true)
                : new DnnlPrelu.Geometry(s[0], s[1], s[2], s[3], false);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray x = x();
        INDArray a = getParamWithNoise(ChannelPrelu.SLOPE_KEY, training, workspaceMgr);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        if (DnnlPrelu.takes(x, a, out)) {
            DnnlPrelu.forward(geometry(x), x, a, out);
            return out;
        }
        INDArray neg = Transforms.min(x, 0.0, true);
        out.assign(x).subi(neg);
        Nd4j.getExecutioner().exec(new BroadcastMulOp(neg, a.reshape(a.length()), neg, channelDim()));
        return out.addi(neg);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = x();
        INDArray a = getParamWithNoise(ChannelPrelu.SLOPE_KEY, true, workspaceMgr);
        INDArray g = epsilon.castTo(dataType);
        INDArray gradA = gradientViews.get(ChannelPrelu.SLOPE_KEY);
        INDArray epsNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        if (DnnlPrelu.takes(x, a, g, epsNext, gradA)) {
            DnnlPrelu.backward(geometry(x), x, a, g, epsNext, gradA);
        } else {
            int cd = channelDim();
            int[] others = cd == 1 ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
            INDArray neg = Transforms.min(x, 0.0, true);
            gradA.assign(g.mul(neg).sum(others).reshape(gradA.shape()));
            // factor = 1 − m + a ⊙ m, m = [x ≤ 0]
            INDArray m = x.lte(0.0).castTo(dataType);
            INDArray factor = m.rsub(1.0);
            Nd4j.getExecutioner().exec(new BroadcastMulOp(m, a.reshape(a.length()), m, cd));
            epsNext.assign(g).muli(factor.addi(m));
        }
        Gradient ret = new DefaultGradient();
        ret.gradientForVariable().put(ChannelPrelu.SLOPE_KEY, gradA);
        weightNoiseParams.clear();
        return new Pair<>(ret, backpropDropOutIfPresent(epsNext));
    }

    @Override
    public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        throw new UnsupportedOperationException("ChannelPrelu is trained through its network, not on its own");
    }
}
