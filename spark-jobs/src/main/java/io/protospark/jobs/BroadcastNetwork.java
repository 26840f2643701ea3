package io.protospark.jobs;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;

/**
 * The driver's network shipped to the executors for a read-only pass (evaluation, class memory): its
 * configuration and a copy of its parameters are broadcast once, and each partition rebuilds a local network.
 * Closing destroys the broadcasts.
 */
final class BroadcastNetwork implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<String> conf;
    private final Broadcast<INDArray> params;

    private BroadcastNetwork(Broadcast<String> conf, Broadcast<INDArray> params) {
        this.conf = conf;
        this.params = params;
    }

    static BroadcastNetwork of(JavaSparkContext jsc, ComputationGraph net) {
        return new BroadcastNetwork(jsc.broadcast(net.getConfiguration().toJson()),
                jsc.broadcast(net.params().dup()));
    }

    /** On an executor: a network with the broadcast configuration and parameters. */
    ComputationGraph rebuild() {
        ComputationGraph local = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf.value()));
        local.init(params.value().dup(), false);
        return local;
    }

    @Override
    public void close() {
        conf.destroy();
        params.destroy();
    }
}
