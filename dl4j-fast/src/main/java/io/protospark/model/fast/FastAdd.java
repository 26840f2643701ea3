package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An addition vertex (DL4J's {@link ElementWiseVertex} with {@code Add}) whose output is max(Σ inputs, 0). Built by
 * {@link FastLayers#convert} for a residual addition read only by a plain ReLU, which it replaces (the ReLU vertex is
 * removed); the vertex keeps its name and inputs.
 *
 * <p>Two float inputs of one shape (a residual block's) are added and rectified in one oneDNN pass
 * ({@link DnnlAdd}); the gradient is masked by the output's sign once and copied for the second input. Anything else
 * (more inputs, broadcasting, double) runs DL4J's addition with the ReLU applied around it.
 */
public class FastAdd extends ElementWiseVertex {
    public FastAdd() {
        super(Op.Add);
    }

    @Override
    public FastAdd clone() {
        return new FastAdd();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FastAdd && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams,
                                                                      DataType networkDatatype) {
        if (op != Op.Add) {
            throw new IllegalStateException("vertex '" + name + "': a FastAdd adds its inputs; found op " + op);
        }
        return new Impl(graph, name, idx, networkDatatype);
    }

    /** The vertex: DL4J's addition with the ReLU fused in. */
    static final class Impl extends org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex {
        /** The last forward output (after the ReLU), whose sign masks the gradient. */
        private INDArray output;
        /** Whether the last forward pass took the fused path (else DL4J's addition, then the ReLU). */
        private boolean fused;

        Impl(ComputationGraph graph, String name, int idx, DataType dataType) {
            super(graph, name, idx, Op.Add, dataType);
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoForward()) {
                throw new IllegalStateException("vertex '" + vertexName + "': inputs not set");
            }
            fused = inputs.length == 2 && inputs[0].equalShapes(inputs[1]) && DnnlRelu.takes(inputs[0], inputs[1]);
            INDArray y;
            if (fused) {
                y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, inputs[0].shape(), 'c');
                DnnlAdd.addRelu(inputs[0], inputs[1], y);
            } else {
                y = super.doForward(training, workspaceMgr); // a new array
                Nd4j.getExecutioner().exec(new RectifiedLinear(y, y, 0.0));
            }
            output = y;
            return y;
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoBackward() || output == null) {
                throw new IllegalStateException("vertex '" + vertexName + "': backward pass without a forward pass "
                        + "or a gradient");
            }
            INDArray masked = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(),
                    epsilon.shape(), 'c');
            // relu'(Σ) = [Σ > 0] = [max(Σ, 0) > 0]: the output's sign gives the mask
            if (DnnlRelu.takes(output, epsilon, masked)) {
                DnnlRelu.backward(output, epsilon, masked);
            } else {
                Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(output, epsilon, masked, 0.0));
            }
            if (fused) {
                return new Pair<>(null, new INDArray[] {masked,
                        workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, masked)});
            }
            epsilon = masked;
            return super.doBackward(tbptt, workspaceMgr);
        }

        @Override
        public void clear() {
            super.clear();
            output = null;
        }
    }
}
