package io.protospark.model.net;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;

import java.io.Serializable;
import java.util.List;

/**
 * The learning rate over a run ({@code protospark.model.optimizer.schedule}), stepped once per epoch or once per
 * iteration ({@code schedule-unit}), as the seeds' PyTorch schedulers are:
 * <ul>
 *   <li>{@code constant};</li>
 *   <li>{@code step} (also {@code multistep}): PyTorch's {@code MultiStepLR}, the rate times γ for every milestone
 *   already passed (RePoNet: epochs 150, 250, γ = 0.1; MHE: iterations 20k, 30k, 37.5k);</li>
 *   <li>{@code cosine}: {@code CosineAnnealingLR} with T_max = the run's steps T, min + (lr − min)·½(1 + cos(π·(n−1)/T))
 *   (DSC: per epoch on CIFAR-100, per iteration for open-set);</li>
 * </ul>
 * optionally with a linear warm-up over the first W steps that multiplies the rate by n/W (DL2PA). Steps n are
 * numbered from 1 in the schedule's unit: epoch n, or the n-th minibatch step of a worker over the whole run.
 * Milestones and {@code warmup-iterations} count in the unit; {@code warmup-epochs} counts epochs in either unit
 * (with iterations, W = warmup-epochs × the steps of an epoch).
 */
public record LearningRateSchedule(Kind kind, double base, List<Integer> milestones, double gamma, int warmupEpochs,
                                   Unit unit, double minLr, int warmupIterations)
        implements Serializable {

    /** The schedule's shape. */
    public enum Kind {
        CONSTANT,
        STEP,
        COSINE
    }

    /** What one step of the schedule is. */
    public enum Unit {
        EPOCH,
        ITERATION
    }

    private static final String P = "protospark.model.optimizer.";

    public LearningRateSchedule {
        milestones = List.copyOf(milestones);
    }

    /** An epoch schedule without floor nor iteration warm-up (the form of earlier releases). */
    public LearningRateSchedule(Kind kind, double base, List<Integer> milestones, double gamma, int warmupEpochs) {
        this(kind, base, milestones, gamma, warmupEpochs, Unit.EPOCH, 0.0, 0);
    }

    /**
     * Reads {@code protospark.model.optimizer.{learning-rate, schedule, schedule-unit, milestones, gamma, min-lr,
     * warmup-epochs, warmup-iterations}}.
     */
    public static LearningRateSchedule from(Config c) {
        String name = Configs.oneOf(c, P + "schedule", List.of("constant", "step", "multistep", "cosine"));
        Kind kind = switch (name) {
            case "constant" -> Kind.CONSTANT;
            case "step", "multistep" -> Kind.STEP;
            default -> Kind.COSINE;
        };
        Unit unit = Configs.enumValue(c, P + "schedule-unit", Unit.class);
        double lr = Configs.positiveDouble(c, P + "learning-rate");
        List<Integer> milestones;
        try {
            milestones = c.getIntList(P + "milestones");
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new SettingsException(P + "milestones", "must be a list of integers", c.getValue(P + "milestones")
                    .unwrapped(), "for example [150, 250]");
        }
        String unitName = unit == Unit.EPOCH ? "epoch" : "iteration";
        int previous = 0;
        for (int m : milestones) {
            if (m <= previous) {
                throw new SettingsException(P + "milestones", "must be increasing positive " + unitName
                        + " numbers (schedule-unit = " + unitName + ")", milestones,
                        unit == Unit.EPOCH ? "for example [150, 250]" : "for example [20000, 30000, 37500]");
            }
            previous = m;
        }
        if (kind == Kind.STEP && milestones.isEmpty()) {
            throw new SettingsException(P + "milestones", "the step schedule needs at least one milestone",
                    milestones, "for example [150, 250], or schedule = constant");
        }
        double gamma = Configs.doubleInRange(c, P + "gamma", 0.0, 1.0);
        double minLr = Configs.doubleInRange(c, P + "min-lr", 0.0, Double.MAX_VALUE);
        if (minLr > 0 && kind != Kind.COSINE) {
            throw new SettingsException(P + "min-lr", "is the floor of the cosine schedule; the schedule is " + name,
                    minLr, "0, or schedule = cosine");
        }
        if (minLr > lr) {
            throw new SettingsException(P + "min-lr", "must not exceed learning-rate (" + lr + ")", minLr,
                    "a value in [0, " + lr + "]");
        }
        int warmup = Configs.nonNegativeInt(c, P + "warmup-epochs");
        int warmupIterations = Configs.nonNegativeInt(c, P + "warmup-iterations");
        if (warmupIterations > 0 && unit == Unit.EPOCH) {
            throw new SettingsException(P + "warmup-iterations", "needs a rate that changes every iteration; "
                    + "schedule-unit is epoch", warmupIterations, "schedule-unit = iteration, or warmup-epochs");
        }
        if (warmupIterations > 0 && warmup > 0) {
            throw new SettingsException(P + "warmup-iterations", "and warmup-epochs are two lengths of the same "
                    + "warm-up; warmup-epochs = " + warmup, warmupIterations, "set only one of them");
        }
        return new LearningRateSchedule(kind, lr, milestones, gamma, warmup, unit, minLr, warmupIterations);
    }

    /** The same schedule with every rate multiplied by {@code factor} (a run that rolled back after diverging). */
    public LearningRateSchedule scaled(double factor) {
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("a learning-rate factor must be positive and finite, got " + factor);
        }
        return factor == 1.0 ? this : new LearningRateSchedule(kind, base * factor, milestones, gamma, warmupEpochs,
                unit, minLr * factor, warmupIterations);
    }

    /** Whether the rate can change during the run (else the optimizer's own fixed rate is the whole schedule). */
    public boolean varies() {
        return kind != Kind.CONSTANT || warmupEpochs > 0 || warmupIterations > 0;
    }

    /**
     * The learning rate of epoch {@code epoch} (1-based) of a run of {@code epochs} epochs, for the epoch unit. With
     * the iteration unit use {@link #perIteration}.
     */
    public double at(int epoch, int epochs) {
        if (epoch < 1) {
            throw new IllegalArgumentException("epochs are numbered from 1, found " + epoch);
        }
        if (unit != Unit.EPOCH) {
            throw new IllegalStateException("the schedule steps per iteration: use perIteration(stepsPerEpoch, epochs)");
        }
        return rate(kind, base, milestones, gamma, minLr, epoch, epochs, warmupEpochs);
    }

    /**
     * The per-iteration schedule of a run of {@code epochs} epochs of {@code stepsPerEpoch} minibatch steps per
     * worker: a DL4J {@link org.nd4j.linalg.schedule.ISchedule} whose {@code valueAt(i, e)} is the rate of the
     * 0-based global step i. The cosine's T is epochs × stepsPerEpoch.
     */
    public IterationSchedule perIteration(int stepsPerEpoch, int epochs) {
        if (unit != Unit.ITERATION) {
            throw new IllegalStateException("the schedule steps per epoch");
        }
        if (stepsPerEpoch < 1 || epochs < 1) {
            throw new IllegalArgumentException("need at least one step and one epoch, got " + stepsPerEpoch + " x "
                    + epochs);
        }
        long warmup = warmupIterations > 0 ? warmupIterations : (long) warmupEpochs * stepsPerEpoch;
        return new IterationSchedule(kind, base, milestones, gamma, minLr, (long) stepsPerEpoch * epochs, warmup);
    }

    /**
     * The rate at 1-based step {@code n} of {@code total}: the shape's value, times n/W during a warm-up of W steps.
     * Past {@code total} the cosine stays at its floor.
     */
    static double rate(Kind kind, double base, List<Integer> milestones, double gamma, double minLr, long n,
                       long total, long warmup) {
        double lr = switch (kind) {
            case CONSTANT -> base;
            case STEP -> {
                int passed = 0;
                for (int m : milestones) {
                    if (n > m) {
                        passed++;
                    }
                }
                yield base * Math.pow(gamma, passed);
            }
            case COSINE -> {
                long t = Math.min(n - 1, total);
                yield minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * t / Math.max(1, total)));
            }
        };
        if (warmup > 0 && n <= warmup) {
            lr *= (double) n / warmup;
        }
        return lr;
    }
}
