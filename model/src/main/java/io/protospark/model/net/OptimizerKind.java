package io.protospark.model.net;

/**
 * Optimizers selectable by {@code protospark.model.optimizer.name}; each behaves as its PyTorch namesake.
 * The config name {@code nesterov} (of earlier releases) still reads as {@link #SGD} with {@code nesterov = true}.
 */
public enum OptimizerKind {
    /** {@code torch.optim.SGD}: heavy-ball momentum ({@link SgdMomentum}), L2 weight decay added to the gradient. */
    SGD,
    /** {@code torch.optim.Adam}: L2 weight decay added to the gradient. */
    ADAM,
    /** {@code torch.optim.AdamW}: Adam with decoupled weight decay, w −= lr·wd·w besides the Adam step. */
    ADAMW
}
