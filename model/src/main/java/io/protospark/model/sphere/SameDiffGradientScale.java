package io.protospark.model.sphere;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.EnumMap;
import java.util.Map;

/**
 * Measures, once per JVM and data type, the factor by which DL4J's SameDiff layer backpropagation scales its
 * gradients, so protospark's SameDiff layers can undo it.
 *
 * <p>In DL4J 1.0.0-M2.1 every {@code SameDiffLayer} (DL4J's own {@code LocallyConnected2D} included) returns
 * parameter gradients and input epsilons exactly twice the true derivative: {@code SameDiff.calculateGradients} with
 * the layer's external-errors function counts the incoming error twice. Gradient checks of a bare
 * y = x·Wᵀ SameDiff layer show the factor 2 for every parameter. Rather than hard-code 2 (a later DL4J may fix it),
 * the factor is measured on a probe layer y = x ⊙ w with x = 3, w = 2 and dL/dy = 1, whose exact gradients are
 * dL/dw = 3 and dL/dx = 2.
 */
final class SameDiffGradientScale {
    private static final Map<DataType, Double> FACTORS = new EnumMap<>(DataType.class);

    private SameDiffGradientScale() {
    }

    /** The factor DL4J applies (2.0 in 1.0.0-M2.1); divide the layer's gradients by it. */
    static synchronized double factor(DataType dataType) {
        return FACTORS.computeIfAbsent(dataType, SameDiffGradientScale::measure);
    }

    private static double measure(DataType dataType) {
        Probe probe = new Probe();
        NeuralNetConfiguration conf = new NeuralNetConfiguration.Builder().dataType(dataType).updater(new NoOp())
                .layer(probe).build();
        INDArray params = Nd4j.create(dataType, 1, 2);
        Layer layer = probe.instantiate(conf, null, 0, params, true, dataType);
        layer.setBackpropGradientsViewArray(Nd4j.create(dataType, 1, 2));
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(Nd4j.valueArrayOf(new long[]{1, 2}, 3.0, dataType), mgr);
        layer.activate(true, mgr);
        Pair<Gradient, INDArray> p = layer.backpropGradient(Nd4j.ones(dataType, 1, 2), mgr);
        double dw = p.getFirst().getGradientFor("W").getDouble(0) / 3.0;
        double dx = p.getSecond().getDouble(0) / 2.0;
        if (!(dw > 0) || Double.isInfinite(dw) || Math.abs(dw - dx) > 1e-6 * dw) {
            throw new IllegalStateException("cannot calibrate DL4J's SameDiff layer gradients: weight gradient factor "
                    + dw + ", input gradient factor " + dx);
        }
        return dw;
    }

    /** y = x ⊙ w on two features, w initialised to 2 (runs on DL4J's stock SameDiff layer runtime). */
    static final class Probe extends SameDiffLayer {
        private static final long serialVersionUID = 1L;

        Probe() {
        }

        @Override
        public SDVariable defineLayer(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
            return x.mul(params.get("W"));
        }

        @Override
        public void defineParameters(SDLayerParams params) {
            params.clear();
            params.addWeightParam("W", 1, 2);
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
            params.get("W").assign(2.0);
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return InputType.feedForward(2);
        }
    }
}
