package io.protospark.jobs.train;

import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.model.net.Networks;
import io.protospark.model.net.OutputLoss;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Distributed evaluation of the driver's network on a split: each partition rebuilds the network from the
 * broadcast configuration and parameters, and returns its number of correct top-1 predictions, examples and
 * summed loss; the driver adds them up. One pass gives accuracy and mean loss, and one forward pass per minibatch
 * gives both: the predictor reads the activations of that pass, and {@link OutputLoss} scores them through the
 * output layer as {@code ComputationGraph.score(ds, false)} would (mean loss plus the regularisation score, the
 * latter computed once per partition since the parameters do not change).
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
     * reading the prototypes belongs) and returns the per-minibatch rule.
     */
    @FunctionalInterface
    interface Predictor extends Serializable {
        Classifier bind(ComputationGraph local);
    }

    /** A partition's rule: the activations of the vertex {@code reads} (N rows) in, N classes out. */
    record Classifier(String reads, Function<INDArray, int[]> classes) {
    }

    /** The class with the largest output (softmax heads: the largest probability, so the largest logit). */
    static final Predictor ARGMAX = local -> new Classifier(Networks.output(local),
            out -> out.argMax(1).toIntVector());

    static Score evaluate(JavaSparkContext jsc, ComputationGraph net, JavaRDD<DataSet> data, Predictor predictor) {
        try (BroadcastNetwork shipped = BroadcastNetwork.of(jsc, net)) {
            return data.mapPartitions(it -> {
                if (!it.hasNext()) {
                    return List.of(new Score(0, 0, 0)).iterator();
                }
                ComputationGraph local = shipped.rebuild();
                Classifier classify = predictor.bind(local);
                OutputLoss output = OutputLoss.of(local);
                double regularization = output.regularization();
                long correct = 0;
                long n = 0;
                double loss = 0;
                while (it.hasNext()) {
                    DataSet ds = it.next();
                    if (ds.getFeaturesMaskArray() != null || ds.getLabelsMaskArray() != null) {
                        throw new IllegalArgumentException("the evaluation takes unmasked minibatches");
                    }
                    Map<String, INDArray> acts = local.feedForward(ds.getFeatures(), false);
                    int[] predicted = classify.classes().apply(acts.get(classify.reads()));
                    int[] truth = ds.getLabels().argMax(1).toIntVector();
                    for (int i = 0; i < truth.length; i++) {
                        correct += predicted[i] == truth[i] ? 1 : 0;
                    }
                    int m = ds.numExamples();
                    loss += output.score(acts, ds.getLabels(), regularization) * m;
                    n += m;
                }
                return List.of(new Score(correct, n, loss)).iterator();
            }).collect().stream().reduce(new Score(0, 0, 0), Score::plus); // in partition order: same sum every run
        }
    }
}
