package io.protospark.jobs.train;

import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Sums each worker's minibatch loss into Spark accumulators, so the driver knows the epoch's mean training loss
 * over every minibatch of every worker (not only the last averaging round), summed in the same order in every run.
 */
final class LossHook implements TrainingHook {
    private final PartitionSums lossSum;
    private final LongAccumulator examples;

    LossHook(PartitionSums lossSum, LongAccumulator examples) {
        this.lossSum = lossSum;
        this.examples = examples;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        long n = minibatch.numExamples();
        lossSum.add(model.score() * n);
        examples.add(n);
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        long n = minibatch.getFeatures(0).size(0);
        lossSum.add(model.score() * n);
        examples.add(n);
    }
}
