package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collection;
import java.util.Map;

/**
 * A plain-ReLU {@link ActivationLayer} configuration (same settings and JSON fields) whose layer computes
 * max(x, 0) into a fresh activation array in one native pass when training, and the backward pass in one pass into a
 * fresh gradient array (on oneDNN for float, {@link DnnlRelu}; else libnd4j's ops). Float inference takes the same
 * out-of-place pass. DL4J's stock activation layer first copies its input (forward, and in inference whenever the
 * input lives in another workspace) or its saved input (backward) and then works in place on the copy: an extra full
 * read and write of the activation in each direction, about a tenth of a CIFAR ResNet's training step. Built by
 * {@link FastLayers#convert} for ReLUs without a cap, threshold or negative slope.
 *
 * <p>When the layer's only input is a batch norm that computes the ReLU itself
 * ({@link FastBatchNormalization#isFusedRelu()}), {@link FastLayers#convert} makes it a pass-through
 * ({@link #isPassThrough()}): its output is its input and its gradient the incoming one. The vertex stays, under its
 * name, so the graph's structure and any reference to the ReLU's output are unchanged.
 */
public class FastRelu extends ActivationLayer {
    private boolean passThrough;

    public FastRelu() {
        super();
    }

    /** Whether this layer's input is already max(x, 0) (a batch norm with the ReLU fused) and is passed on as is. */
    public boolean isPassThrough() {
        return passThrough;
    }

    public void setPassThrough(boolean passThrough) {
        this.passThrough = passThrough;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof FastRelu other && other.passThrough == passThrough;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(passThrough);
    }

    /** Whether {@code fn} is ReLU exactly: max(x, 0), no cap, threshold or negative slope. */
    static boolean isPlainRelu(IActivation fn) {
        return fn instanceof ActivationReLU r && r.getMax() == null
                && (r.getThreshold() == null || r.getThreshold() == 0.0)
                && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        Impl layer = new Impl(conf, networkDataType, passThrough);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    /** The layer: stock {@link org.deeplearning4j.nn.layers.ActivationLayer} apart from the training passes. */
    static final class Impl extends org.deeplearning4j.nn.layers.ActivationLayer {
        private final boolean passThrough;

        Impl(NeuralNetConfiguration conf, DataType dataType, boolean passThrough) {
            super(conf, dataType);
            this.passThrough = passThrough;
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (passThrough) {
                assertInputSet(false);
                return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, input);
            }
            if (!training && !DnnlRelu.takes(input)) {
                return super.activate(false, workspaceMgr);
            }
            assertInputSet(false);
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), input.shape(),
                    input.ordering());
            if (DnnlRelu.takes(input, out)) {
                DnnlRelu.forward(input, out);
            } else {
                Nd4j.getExecutioner().exec(new RectifiedLinear(input, out, 0.0));
            }
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            if (passThrough) {
                return new Pair<>(new DefaultGradient(), workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, epsilon));
            }
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(),
                    input.shape(), input.ordering());
            if (DnnlRelu.takes(input, epsilon, dx)) {
                DnnlRelu.backward(input, epsilon, dx);
            } else {
                Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(input, epsilon, dx, 0.0));
            }
            return new Pair<>(new DefaultGradient(), dx);
        }
    }
}
