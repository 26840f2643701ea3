/**
 * Fixed prototypes on the hypersphere: the {@link io.protospark.model.prototype.PrototypeSet} (matrix, provenance,
 * quality, {@code .npy} + JSON sidecar) and the constructions that place them — regular polytopes (Pernici et al.,
 * "Regular Polytope Networks", TNNLS 2021), DSC centres, Kasarla's recursion, the simplex ETF and seeded estimation
 * for any dimension — chosen by {@link io.protospark.model.prototype.Prototypes#build}.
 */
package io.protospark.model.prototype;
