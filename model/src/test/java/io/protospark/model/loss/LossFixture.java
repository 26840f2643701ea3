package io.protospark.model.loss;

import io.protospark.model.DoublePrecision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

/**
 * Base of the loss tests: ND4J in double precision for the whole test class (what the gradient checks and the
 * central differences need), restored afterwards, and the identity activation that scores a loss on its input as
 * it is. The helpers they call are in {@link LossChecks}.
 */
abstract class LossFixture {
    /** The identity activation: computeScore and computeGradient on the embedding itself. */
    static final ActivationIdentity ID = new ActivationIdentity();

    @BeforeAll
    static void useDoublePrecision() {
        DoublePrecision.use();
    }

    @AfterAll
    static void restorePrecision() {
        DoublePrecision.restore();
    }
}
