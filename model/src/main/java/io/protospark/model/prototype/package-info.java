/**
 * Fixed prototypes on the hypersphere: the {@link io.protospark.model.prototype.PrototypeSet} and the
 * constructions that place them (regular polytopes, after Pernici et al., "Regular Polytope Networks", TNNLS 2021).
 */
package io.protospark.model.prototype;
