package io.protospark.model.head;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shared fixtures of the head tests: double precision switch, one-hot labels, DL4J's graph gradient check. */
final class HeadChecks {
    private HeadChecks() {
    }

    /** DL4J's gradient check of every parameter of a double-precision graph with one input and one output. */
    static void gradientCheck(ComputationGraph net, INDArray x, INDArray y, String what) {
        gradientCheck(net, x, y, what, Set.of());
    }

    /**
     * As {@link #gradientCheck(ComputationGraph, INDArray, INDArray, String)}, skipping the named parameters (batch
     * normalisation's running mean and log10 standard deviation: DL4J reports their running-average update in the
     * gradient slot, they are not trained by the gradient).
     */
    static void gradientCheck(ComputationGraph net, INDArray x, INDArray y, String what, Set<String> exclude) {
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
                .net(net).excludeParams(exclude).inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
        assertTrue(ok, what + ": gradient check failed");
    }
}
