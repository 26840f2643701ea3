package io.protospark.model.loss;

import java.io.IOException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a {@link TargetsRef} back into its K×d matrix when a {@link TargetLoss} that was Java-serialised by reference
 * is read. Implementations are found with {@link java.util.ServiceLoader} ({@code META-INF/services}); the first one
 * found is used for the life of the JVM. The model module registers {@code io.protospark.model.targets.TargetsStore}'s,
 * which reads the file once per JVM through the Hadoop FileSystem API and verifies its SHA-256 and shape; this
 * package itself does no I/O.
 */
public interface TargetsResolver {
    /**
     * The matrix {@code ref} names.
     *
     * @throws IOException naming the reference's URI when the matrix cannot be had or does not match the reference
     */
    INDArray resolve(TargetsRef ref) throws IOException;
}
