package io.protospark.model.net;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LearningRateSchedule} stepped per iteration, as DL4J's updaters read it: {@code valueAt(i, e)} is the rate
 * of the 0-based global minibatch step i of a worker (the epoch argument is ignored). It sits in the updater
 * configuration of every trainable layer (set with {@code IUpdater.setLrAndSchedule}), so it travels to the Spark
 * workers with the network configuration, as JSON or Java serialisation; the driver makes the workers' iteration
 * counts global (see {@code TrainJob}).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class IterationSchedule implements ISchedule {
    private static final long serialVersionUID = 1L;

    private LearningRateSchedule.Kind kind;
    private double base;
    private int[] milestones;
    private double gamma;
    private double minLr;
    private long totalSteps;
    private long warmupSteps;

    /** For JSON. */
    public IterationSchedule() {
        this(LearningRateSchedule.Kind.CONSTANT, 0.1, List.of(), 0.1, 0, 1, 0);
    }

    public IterationSchedule(LearningRateSchedule.Kind kind, double base, List<Integer> milestones, double gamma,
                             double minLr, long totalSteps, long warmupSteps) {
        this.kind = kind;
        this.base = base;
        this.milestones = milestones.stream().mapToInt(Integer::intValue).toArray();
        this.gamma = gamma;
        this.minLr = minLr;
        this.totalSteps = totalSteps;
        this.warmupSteps = warmupSteps;
    }

    /** The run's steps per worker (the cosine's T). */
    public long totalSteps() {
        return totalSteps;
    }

    /** The rate of 0-based global step {@code step}. */
    public double rateAt(long step) {
        return LearningRateSchedule.rate(kind, base, Arrays.stream(milestones).boxed().toList(), gamma, minLr,
                step + 1, totalSteps, warmupSteps);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return rateAt(iteration);
    }

    @Override
    public ISchedule clone() {
        return new IterationSchedule(kind, base, Arrays.stream(milestones).boxed().toList(), gamma, minLr, totalSteps,
                warmupSteps);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IterationSchedule s && s.kind == kind && s.base == base
                && Arrays.equals(s.milestones, milestones) && s.gamma == gamma && s.minLr == minLr
                && s.totalSteps == totalSteps && s.warmupSteps == warmupSteps;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, base, Arrays.hashCode(milestones), gamma, minLr, totalSteps, warmupSteps);
    }

    @Override
    public String toString() {
        return "IterationSchedule(" + kind + ", lr=" + base + ", milestones=" + Arrays.toString(milestones)
                + ", gamma=" + gamma + ", min-lr=" + minLr + ", T=" + totalSteps + ", warmup=" + warmupSteps + ")";
    }
}
