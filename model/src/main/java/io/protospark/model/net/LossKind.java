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
    CROSS_ENTROPY(false, true),
    /** Deep Simplex Classifier default: mean squared error between feature and class centre. */
    NIRVANA_MSE(true, false),
    /** Deep Simplex Classifier hinge variant (margin ‖s₀ − s₁‖/10 on squared distances). */
    NIRVANA_HINGE(true, false),
    /** Deep Simplex Classifier softmax variant (logits f·s_k, cross-entropy divided by K). */
    NIRVANA_SOFTMAX(true, false),
    /**
     * Deep Simplex Classifier open-set loss: intra-class distance, inter-class hinge and the outlier hinge against
     * outlier-exposure examples (all-zero label rows in the minibatch, see {@code train.outliers}).
     */
    NIRVANA_OPEN_SET(true, false),
    /** DL2PA's balanced loss: (1 − cos(f, p_y))². */
    SQUARED_COSINE(true, false),
    /**
     * DL2PA's long-tail loss: BatchNorm on the feature, then dot regression of the normalised feature towards the
     * per-batch reweighted prototypes; accepts mixed (mixup) label rows.
     */
    LONG_TAIL_DOT_REGRESSION(true, true);

    private final boolean target;
    private final boolean softLabels;

    LossKind(boolean target, boolean softLabels) {
        this.target = target;
        this.softLabels = softLabels;
    }

    /** Whether the loss sits on the embedding with the prototypes as targets (no head layer). */
    public boolean isTarget() {
        return target;
    }

    /**
     * Whether the loss is defined for soft label rows (non-negative, summing to 1): the mixed rows of mixup and the
     * smoothed rows of label smoothing. The loss of a mixed row is the same mixture of the losses of its classes.
     */
    public boolean acceptsSoftLabels() {
        return softLabels;
    }
}
