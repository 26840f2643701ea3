package io.protospark.jobs;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.List;

/**
 * The class memory pass of dynamic assignment (DL2PA, Ebrahimi et al., CVPR 2024): every executor embeds its
 * examples with the driver's current network and sums the L2-normalised embeddings per class; the partial sums
 * are merged with a tree reduction, so the driver receives O(K·d) numbers, never O(examples).
 */
final class ClassMemoryPass {
    private ClassMemoryPass() {
    }

    /** Per-class sums of unit embeddings and per-class counts; mergeable. */
    record Sums(int classes, int dim, double[] sums, long[] counts) implements Serializable {
        Sums plus(Sums o) {
            double[] s = sums.clone();
            long[] c = counts.clone();
            for (int i = 0; i < s.length; i++) {
                s[i] += o.sums[i];
            }
            for (int k = 0; k < c.length; k++) {
                c[k] += o.counts[k];
            }
            return new Sums(classes, dim, s, c);
        }

        /** Row k = the mean unit embedding of class k, renormalised (a zero row for a class never seen). */
        double[][] meanDirections() {
            double[][] m = new double[classes][dim];
            for (int k = 0; k < classes; k++) {
                double n = 0;
                for (int j = 0; j < dim; j++) {
                    double v = sums[k * dim + j];
                    m[k][j] = v;
                    n += v * v;
                }
                n = Math.sqrt(n);
                if (n > 0) {
                    for (int j = 0; j < dim; j++) {
                        m[k][j] /= n;
                    }
                }
            }
            return m;
        }
    }

    /**
     * Embeds every example of {@code data} with {@code net} up to layer {@code embeddingLayer} (inclusive) and
     * returns the per-class sums of the normalised embeddings.
     */
    static Sums gather(JavaSparkContext jsc, MultiLayerNetwork net, int embeddingLayer, JavaRDD<DataSet> data,
                       int classes, int dim) {
        Broadcast<String> conf = jsc.broadcast(net.getLayerWiseConfigurations().toJson());
        Broadcast<INDArray> params = jsc.broadcast(net.params().dup());
        try {
            return data.mapPartitions(it -> {
                double[] sums = new double[classes * dim];
                long[] counts = new long[classes];
                if (it.hasNext()) {
                    MultiLayerNetwork local = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.value()));
                    local.init(params.value().dup(), false);
                    while (it.hasNext()) {
                        DataSet ds = it.next();
                        List<INDArray> acts = local.feedForwardToLayer(embeddingLayer, ds.getFeatures(), false);
                        double[][] f = acts.get(acts.size() - 1).castTo(DataType.DOUBLE).toDoubleMatrix();
                        int[] labels = ds.getLabels().argMax(1).toIntVector();
                        for (int i = 0; i < f.length; i++) {
                            double n = 0;
                            for (double v : f[i]) {
                                n += v * v;
                            }
                            n = Math.sqrt(n);
                            if (n == 0) {
                                continue;
                            }
                            int base = labels[i] * dim;
                            for (int j = 0; j < dim; j++) {
                                sums[base + j] += f[i][j] / n;
                            }
                            counts[labels[i]]++;
                        }
                    }
                }
                return List.of(new Sums(classes, dim, sums, counts)).iterator();
            }).treeReduce(Sums::plus);
        } finally {
            conf.destroy();
            params.destroy();
        }
    }
}
