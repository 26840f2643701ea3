package io.protospark.model.net;

/** Optimizers selectable by {@code protospark.model.optimizer.name}. */
public enum OptimizerKind {
    ADAM,
    NESTEROV
}
