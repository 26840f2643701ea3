package io.protospark.jobs.train;

import io.protospark.jobs.spark.BroadcastNetwork;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.List;

/**
 * Distributed evaluation of the driver's network on a split: each partition rebuilds the network from the
 * broadcast configuration and parameters, and returns its number of correct top-1 predictions, examples and
 * summed loss; the driver adds them up. One pass gives accuracy and mean loss.
 */
final class Evaluator {
    private Evaluator() {
    }

    /** Accuracy and mean loss over a split. */
    record Score(long correct, long examples, double lossSum) implements Serializable {
        double accuracy() {
            return examples == 0 ? Double.NaN : (double) correct / examples;
        }

        double meanLoss() {
            return examples == 0 ? Double.NaN : lossSum / examples;
        }

        Score plus(Score o) {
            return new Score(correct + o.correct, examples + o.examples, lossSum + o.lossSum);
        }
    }

    /**
     * How a partition's network classifies: {@link #bind} runs once per partition (where per-network work such as
     * reading the prototypes belongs) and returns the per-minibatch rule, N features in, N classes out.
     */
    @FunctionalInterface
    interface Predictor extends Serializable {
        java.util.function.Function<INDArray, int[]> bind(ComputationGraph local);
    }

    /** The class with the largest output (softmax heads: the largest logit). */
    static final Predictor ARGMAX = local -> features -> local.outputSingle(false, features).argMax(1).toIntVector();

    static Score evaluate(JavaSparkContext jsc, ComputationGraph net, JavaRDD<DataSet> data, Predictor predictor) {
        try (BroadcastNetwork shipped = BroadcastNetwork.of(jsc, net)) {
            return data.mapPartitions(it -> {
                if (!it.hasNext()) {
                    return List.of(new Score(0, 0, 0)).iterator();
                }
                ComputationGraph local = shipped.rebuild();
                java.util.function.Function<INDArray, int[]> classify = predictor.bind(local);
                long correct = 0;
                long n = 0;
                double loss = 0;
                while (it.hasNext()) {
                    DataSet ds = it.next();
                    int[] predicted = classify.apply(ds.getFeatures());
                    int[] truth = ds.getLabels().argMax(1).toIntVector();
                    for (int i = 0; i < truth.length; i++) {
                        correct += predicted[i] == truth[i] ? 1 : 0;
                    }
                    int m = ds.numExamples();
                    loss += local.score(ds, false) * m;
                    n += m;
                }
                return List.of(new Score(correct, n, loss)).iterator();
            }).collect().stream().reduce(new Score(0, 0, 0), Score::plus); // in partition order: same sum every run
        }
    }
}
