/**
 * Linear sum assignment for DL2PA's label-to-prototype step: an exact dense Jonker–Volgenant solver and, for
 * tens of thousands of classes, a sparse solver on a top-k cosine candidate graph whose optimality is proven
 * against every class–prototype pair. {@link io.protospark.model.assign.ClassMemory} holds the per-class mean
 * embedding directions that feed it, and {@link io.protospark.model.assign.AssignmentStep} is the between-epoch
 * step of dynamic assignment built from them (moving-average memory, solve, permuted head).
 */
package io.protospark.model.assign;
