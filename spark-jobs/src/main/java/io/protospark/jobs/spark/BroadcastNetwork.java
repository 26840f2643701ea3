package io.protospark.jobs.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;

/**
 * The driver's network shipped to the executors for a read-only pass (evaluation, class memory): its
 * configuration and a copy of its parameters are broadcast once, and each partition rebuilds a local network.
 * The configuration travels Java-serialised, as in DL4J's averaging rounds, so target-loss targets published by
 * reference (by the training loop's {@code TargetsPublisher}) travel as their reference here too, not as the JSON's
 * inline matrix.
 * Closing destroys the broadcasts.
 */
public final class BroadcastNetwork implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ComputationGraphConfiguration> conf;
    private final Broadcast<INDArray> params;

    private BroadcastNetwork(Broadcast<ComputationGraphConfiguration> conf, Broadcast<INDArray> params) {
        this.conf = conf;
        this.params = params;
    }

    public static BroadcastNetwork of(JavaSparkContext jsc, ComputationGraph net) {
        return new BroadcastNetwork(jsc.broadcast(net.getConfiguration()),
                jsc.broadcast(net.params().dup()));
    }

    /** On an executor: a network with the broadcast configuration and parameters. */
    public ComputationGraph rebuild() {
        Gpus.bindTask(); // in a task with a GPU (train.gpus-per-worker): the network goes onto that GPU
        // a copy: in local mode the broadcast value is the very object every partition of this JVM receives
        ComputationGraph local = new ComputationGraph(conf.value().clone());
        local.init(params.value().dup(), false);
        return local;
    }

    @Override
    public void close() {
        conf.destroy();
        params.destroy();
    }
}
