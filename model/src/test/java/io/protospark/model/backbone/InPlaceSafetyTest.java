package io.protospark.model.backbone;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J layers may overwrite their input at inference (ActivationLayer does). Each check recomputes a vertex from the
 * recorded activations of its inputs: if any array read by two vertices had been changed in place, they disagree.
 */
class InPlaceSafetyTest {

    static Map<String, INDArray> activations(String name, int size, int d) {
        ComputationGraph net = new ComputationGraph(Backbones.build(name, size, size, 3, d, 11L));
        net.init();
        return net.feedForward(Nd4j.randn(DataType.FLOAT, 2, 3, size, size), false);
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertTrue(expected.equalsWithEps(actual, 1e-4), what);
    }

    @Test
    void identityShortcutsOfResNet20() {
        Map<String, INDArray> a = activations("resnet20", 32, 64);
        // s1b2: out = relu(bn2 + s1b1_out); s1b1_out also feeds s1b2_conv1. (The recorded s1b2_add is the very
        // array the ReLU then overwrote, legitimately: nothing else reads it.)
        INDArray sum = a.get("s1b2_bn2").add(a.get("s1b1_out"));
        assertClose(Transforms.relu(sum, true), a.get("s1b2_out"), "s1b2_out");
    }

    @Test
    void preluAndShortcutsOfIResNet() {
        Map<String, INDArray> a = activations("iresnet50", 32, 8);
        INDArray bn = a.get("stem_bn");
        INDArray prelu = Transforms.relu(bn, true).sub(Transforms.relu(bn.neg(), true).mul(0.25));
        assertClose(prelu, a.get("stem_prelu"), "stem_prelu");
        // s1b2: add = bn3 + s1b1_add (identity shortcut; s1b1_add also feeds s1b2_bn1).
        assertClose(a.get("s1b2_bn3").add(a.get("s1b1_add")), a.get("s1b2_add"), "s1b2_add");
        INDArray inner = a.get("s1b1_bn2");
        INDArray innerPrelu = Transforms.relu(inner, true).sub(Transforms.relu(inner.neg(), true).mul(0.25));
        assertClose(innerPrelu, a.get("s1b1_prelu"), "s1b1_prelu");
    }
}
