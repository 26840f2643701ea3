package io.protospark.jobs.train;

import io.protospark.model.assign.ClassMemory;
import org.apache.spark.util.AccumulatorV2;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.List;

/**
 * DL2PA's class memory from the training batches themselves: before each of its minibatch steps, a worker embeds the
 * minibatch with its current network (inference mode, features detached as in the seed) and folds the per-class mean
 * of the normalised features into its copy of the memory ({@link ClassMemory.Ema#update}). After the round the driver
 * merges the workers' copies ({@link ClassMemory.Ema#mergeCopies}) as parameter averaging merges their networks; with
 * one worker the result is exactly the seed's per-batch moving average.
 *
 * <p>The driver sets the memory each round ({@link #roundStartsFrom}); the hook travels with that round's tasks, and
 * each task's copy comes back through a Spark accumulator when the task ends. A minibatch's class is the largest
 * entry of its label row (with mixup, the label with the larger weight).
 */
final class ClassMemoryHook implements TrainingHook {
    private static final long serialVersionUID = 1L;

    private final String feature;
    private final Copies copies;
    private ClassMemory.Ema start;
    private transient ClassMemory.Ema local;

    /**
     * @param feature the vertex whose activations are the features (the one the prototypes score)
     * @param copies  the accumulator registered on the driver's SparkContext that gathers the workers' copies
     */
    ClassMemoryHook(String feature, Copies copies) {
        this.feature = feature;
        this.copies = copies;
    }

    /** The memory every worker starts the coming round from. */
    void roundStartsFrom(ClassMemory.Ema memory) {
        this.start = memory.copy();
    }

    private void fold(INDArray features, INDArray labels, Model model) {
        if (start == null) {
            throw new IllegalStateException("class memory hook used before the driver set the round's memory");
        }
        ComputationGraph g = (ComputationGraph) model;
        if (local == null) {
            local = start.copy();
            copies.add(local); // the same object keeps being updated; it is serialised when the task ends
        }
        INDArray emb = g.feedForward(new INDArray[] {features}, false, false).get(feature);
        float[] f = emb.castTo(DataType.FLOAT).dup('c').data().asFloat();
        local.update(f, labels.argMax(1).toIntVector());
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        fold(minibatch.getFeatures(), minibatch.getLabels(), model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        fold(minibatch.getFeatures(0), minibatch.getLabels(0), model);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }

    /**
     * The workers' copies of one round, gathered by Spark when each task ends, handed out in partition order (not the
     * order the tasks finished) so that merging them gives the same memory in every run.
     */
    static final class Copies extends AccumulatorV2<ClassMemory.Ema, List<ClassMemory.Ema>> {
        private static final long serialVersionUID = 1L;
        private final java.util.TreeMap<Integer, List<ClassMemory.Ema>> copies = new java.util.TreeMap<>();

        @Override
        public boolean isZero() {
            return copies.isEmpty();
        }

        @Override
        public Copies copy() {
            Copies c = new Copies();
            copies.forEach((k, v) -> c.copies.put(k, new ArrayList<>(v)));
            return c;
        }

        @Override
        public void reset() {
            copies.clear();
        }

        @Override
        public void add(ClassMemory.Ema v) {
            org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
            copies.computeIfAbsent(task == null ? -1 : task.partitionId(), k -> new ArrayList<>()).add(v);
        }

        @Override
        public void merge(AccumulatorV2<ClassMemory.Ema, List<ClassMemory.Ema>> other) {
            ((Copies) other).copies.forEach((k, v) -> copies.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        }

        @Override
        public List<ClassMemory.Ema> value() {
            List<ClassMemory.Ema> out = new ArrayList<>();
            copies.values().forEach(out::addAll);
            return out;
        }
    }
}
