package io.protospark.model.net;

/** The classifier head ({@code protospark.model.head.kind}). */
public enum HeadKind {
    /** Fixed prototypes: logits z_k = p_k · f (cross-entropy), or the targets of a target loss; never trained. */
    FIXED,
    /** An ordinary learned softmax layer (weights and bias), for comparison. */
    LEARNED,
    /**
     * RePoNet's learned baseline as its code trains it: logits (w_k/‖w_k‖)·f, rows re-normalised in every forward
     * pass, no bias, cross-entropy.
     */
    NORMALIZED
}
