package io.protospark.model.net;

/** Feature extractors selectable by {@code protospark.model.backbone}. */
public enum BackboneKind {
    /** 3×3 conv + ReLU + 2×2 max-pool blocks, then dense layers. */
    SMALL_CNN,
    /** Dense layers only. */
    MLP
}
