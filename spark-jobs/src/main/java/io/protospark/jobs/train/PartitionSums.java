package io.protospark.jobs.train;

import org.apache.spark.TaskContext;
import org.apache.spark.util.AccumulatorV2;

import java.util.Map;
import java.util.TreeMap;

/**
 * A sum of doubles gathered from Spark tasks that comes out the same in every run: each task adds into its partition's
 * own slot, and {@link #value} adds the slots in partition order. Spark merges task results in the order the tasks
 * finish, so a plain {@code DoubleAccumulator} sums in a different order from run to run, and floating-point addition
 * is not associative: two identical runs (or a run and its resumed twin) would print training losses that differ in
 * the last bits.
 */
final class PartitionSums extends AccumulatorV2<Double, Double> {
    private static final long serialVersionUID = 1L;
    private final TreeMap<Integer, Double> slots = new TreeMap<>();

    @Override
    public boolean isZero() {
        return slots.isEmpty();
    }

    @Override
    public PartitionSums copy() {
        PartitionSums c = new PartitionSums();
        c.slots.putAll(slots);
        return c;
    }

    @Override
    public void reset() {
        slots.clear();
    }

    @Override
    public void add(Double v) {
        TaskContext task = TaskContext.get();
        slots.merge(task == null ? -1 : task.partitionId(), v, Double::sum);
    }

    @Override
    public void merge(AccumulatorV2<Double, Double> other) {
        // the driver merges finished tasks one by one: a partition's slot grows round after round, in round order
        for (Map.Entry<Integer, Double> e : ((PartitionSums) other).slots.entrySet()) {
            slots.merge(e.getKey(), e.getValue(), Double::sum);
        }
    }

    @Override
    public Double value() {
        double sum = 0;
        for (double v : slots.values()) {
            sum += v;
        }
        return sum;
    }
}
