package io.protospark.jobs.train;

import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.net.FixedHead;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one parameter-averaging round moves, measured by serialising what DL4J Spark ships with Java serialisation
 * (Spark's default serializer): the broadcast the driver sends (configuration, parameters, updater state; Spark sends
 * it once per executor) and the result each worker returns (its parameters and updater state). The fixed prototypes
 * are part of both: in the parameter vector for a fixed head, in the configuration for a target loss — unless the
 * target loss holds a {@link io.protospark.model.loss.TargetsRef}: then the configuration carries only the reference
 * and each executor JVM reads the targets file once per matrix ({@code targetsFileBytes}), not once per round.
 *
 * @param broadcast       bytes of the serialised broadcast
 * @param configuration   of which the configuration (with any target-loss targets)
 * @param resultPerWorker bytes each worker returns
 * @param fixed           bytes of the fixed prototypes inside the broadcast (and, for a fixed head, in each result);
 *                        for targets by reference, the bytes of the reference
 * @param targetsFileBytes bytes of the target files referenced (read once per executor JVM per matrix; 0 = inline)
 */
record RoundBytes(long broadcast, long configuration, long resultPerWorker, long fixed, long targetsFileBytes) {

    static RoundBytes of(ComputationGraph net) {
        INDArray params = net.params();
        INDArray updater = net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
        long broadcast = serialisedSize(new NetBroadcastTuple(net.getConfiguration(), params, updater));
        long configuration = serialisedSize(net.getConfiguration());
        long result = serialisedSize(new Serializable[]{params, updater});
        long fixed = 0;
        long files = 0;
        if (FixedHead.isFixed(net)) {
            for (TargetLoss t : TargetLosses.find(net)) {
                if (t.targetsRef() != null) {
                    fixed += serialisedSize(t.targetsRef());
                    files += npyBytes(t.numClasses(), t.dimension());
                } else {
                    fixed += serialisedSize(t.getTargets());
                }
            }
            if (fixed == 0) {
                INDArray w = FixedHead.weights(net);
                fixed = w.length() * w.dataType().width();
            }
        }
        return new RoundBytes(broadcast, configuration, result, fixed, files);
    }

    /** Size of the float64 .npy file of a K×d matrix: a 64-byte-aligned header (version 1.0) and 8·K·d bytes. */
    static long npyBytes(long k, long d) {
        int dict = ("{'descr': '<f8', 'fortran_order': False, 'shape': (" + k + ", " + d + "), }").length();
        int unpadded = 6 + 2 + 2 + dict + 1;
        return unpadded + (64 - unpadded % 64) % 64 + 8 * k * d;
    }

    /** Bytes moved in one round with {@code workers} workers on {@code executors} executors. */
    long perRound(int workers, int executors) {
        return broadcast * executors + resultPerWorker * workers;
    }

    Map<String, Object> toMap(int workers, int executors) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("broadcast_bytes", broadcast);
        m.put("configuration_bytes", configuration);
        m.put("result_bytes_per_worker", resultPerWorker);
        m.put("fixed_prototype_bytes", fixed);
        m.put("targets_by_reference", targetsFileBytes > 0);
        if (targetsFileBytes > 0) {
            m.put("targets_file_bytes", targetsFileBytes);
        }
        m.put("bytes_per_round", perRound(workers, executors));
        return m;
    }

    static long serialisedSize(Object o) {
        CountingStream count = new CountingStream();
        try (ObjectOutputStream out = new ObjectOutputStream(count)) {
            out.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise " + o.getClass().getName() + ": " + e.getMessage(), e);
        }
        return count.bytes;
    }

    private static final class CountingStream extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }
}
