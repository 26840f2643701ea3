/**
 * Seeded transforms between reading and writing: class subsets and open-set splits, long-tail subsampling and a
 * stratified validation split. {@link io.protospark.data.transform.Transforms} plans them on labels only and
 * records what it did for the manifest.
 */
package io.protospark.data.transform;
