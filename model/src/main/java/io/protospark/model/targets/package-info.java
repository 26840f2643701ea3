/**
 * Target matrices by reference: {@link io.protospark.model.targets.TargetsStore} writes a target loss's matrix as a
 * {@code .npy} file named by its SHA-256, and reads and verifies such a file once per JVM through the Hadoop
 * FileSystem API (configured by a {@link io.protospark.model.targets.HadoopConfigurationSource}) when a loss
 * Java-serialised by reference arrives. The losses themselves ({@code io.protospark.model.loss}) only hold the
 * {@code TargetsRef} and find this store through the {@code TargetsResolver} service.
 */
package io.protospark.model.targets;
