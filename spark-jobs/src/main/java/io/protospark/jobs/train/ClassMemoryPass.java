package io.protospark.jobs.train;

import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.model.assign.ClassMemory;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

/**
 * The class memory pass of dynamic assignment (DL2PA, Ebrahimi et al., CVPR 2024): every executor embeds its
 * examples with the driver's current network and sums the L2-normalised embeddings per class; the partial sums
 * are merged with a tree reduction, so the driver receives O(K·d) numbers, never O(examples).
 */
final class ClassMemoryPass {
    private ClassMemoryPass() {
    }

    /**
     * Embeds every example of {@code data} with {@code net} up to the vertex {@code embedding} and
     * returns the per-class sums of the normalised embeddings ({@link ClassMemory}, merged by a tree reduction).
     */
    static ClassMemory gather(JavaSparkContext jsc, ComputationGraph net, String embedding, JavaRDD<DataSet> data,
                       int classes, int dim) {
        try (BroadcastNetwork shipped = BroadcastNetwork.of(jsc, net)) {
            return data.mapPartitions(it -> {
                ClassMemory memory = new ClassMemory(classes, dim);
                if (it.hasNext()) {
                    ComputationGraph local = shipped.rebuild();
                    while (it.hasNext()) {
                        DataSet ds = it.next();
                        INDArray emb = local.feedForward(ds.getFeatures(), false).get(embedding);
                        float[] f = emb.castTo(DataType.FLOAT).dup('c').data().asFloat();
                        memory.addBatch(f, ds.getLabels().argMax(1).toIntVector());
                    }
                }
                return List.of(memory).iterator();
            }).treeReduce(ClassMemory::merge);
        }
    }
}
