package io.protospark.jobs.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Makes a Spark worker's network count its iterations globally, so that a per-iteration learning-rate schedule (and
 * Adam's bias correction) sees the run's step number rather than the step within an averaging round.
 *
 * <p>Why it is needed (dl4j-spark 1.0.0-M2): each round, {@code ParameterAveragingTrainingWorker.getInitialModelGraph}
 * builds the worker's network from {@code tuple.getGraphConfiguration().clone()}, and
 * {@code ComputationGraphConfiguration.clone()} does not copy {@code iterationCount} (nor {@code epochCount}): every
 * round's workers start again at iteration 0. The driver's count is advanced by the master after each round
 * ({@code processResults}: {@code iterationCount += averagingFrequency}), but never reaches the workers.
 *
 * <p>The driver sets {@link #roundStartsAt} before each {@code fit()}; the hook travels with that round's tasks (DL4J
 * serialises the training hooks into every round's worker function). Before each minibatch, a network whose count is
 * below the round's first step is moved up by that step, so step j of the round runs at iteration first + j.
 */
final class GlobalStep implements TrainingHook {
    private static final long serialVersionUID = 1L;

    private long first;

    /** The 0-based global step of the coming round's first minibatch. */
    void roundStartsAt(long step) {
        if (step < 0 || step > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("step out of DL4J's int iteration range: " + step);
        }
        first = step;
    }

    long first() {
        return first;
    }

    private void advance(Model model) {
        if (model instanceof ComputationGraph g) {
            int count = g.getConfiguration().getIterationCount();
            if (count < first) {
                g.getConfiguration().setIterationCount((int) (first + count));
            }
        } else if (model instanceof MultiLayerNetwork n) {
            int count = n.getLayerWiseConfigurations().getIterationCount();
            if (count < first) {
                n.getLayerWiseConfigurations().setIterationCount((int) (first + count));
            }
        }
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        advance(model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        advance(model);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
