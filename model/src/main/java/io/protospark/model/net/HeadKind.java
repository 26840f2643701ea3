package io.protospark.model.net;

/** The classifier head. */
public enum HeadKind {
    /** Fixed prototypes: logits z_k = p_k · f, p_k never trained. */
    FIXED,
    /** An ordinary learned softmax layer (weights and bias), for comparison. */
    LEARNED
}
