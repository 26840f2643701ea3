package io.protospark.model.net;

/**
 * The training loss ({@code protospark.model.head.loss}).
 *
 * <p>Cross-entropy sits on a head's logits (fixed, learned or weight-normalised). The others are target losses: they
 * compare the embedding itself with the class's prototype (its target), need fixed prototypes, and classify with a
 * decision rule over the prototypes.
 */
public enum LossKind {
    /** Softmax cross-entropy over the head's logits (Regular Polytope Networks, the learned baseline). */
    CROSS_ENTROPY(false),
    /** Deep Simplex Classifier default: mean squared error between feature and class centre. */
    NIRVANA_MSE(true),
    /** Deep Simplex Classifier hinge variant (margin ‖s₀ − s₁‖/10 on squared distances). */
    NIRVANA_HINGE(true),
    /** Deep Simplex Classifier softmax variant (logits f·s_k, cross-entropy divided by K). */
    NIRVANA_SOFTMAX(true),
    /** DL2PA's balanced loss: (1 − cos(f, p_y))². */
    SQUARED_COSINE(true);

    private final boolean target;

    LossKind(boolean target) {
        this.target = target;
    }

    /** Whether the loss sits on the embedding with the prototypes as targets (no head layer). */
    public boolean isTarget() {
        return target;
    }
}
