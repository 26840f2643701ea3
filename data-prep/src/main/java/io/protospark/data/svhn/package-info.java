/**
 * SVHN cropped digits ({@code *_32x32.mat}): {@link io.protospark.data.svhn.SvhnReader} streams each MAT-file's
 * {@code X} and {@code y} into memory on the driver, checking dimensions, classes and labels.
 */
package io.protospark.data.svhn;
