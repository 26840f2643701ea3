package io.protospark.model.net;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;

import java.io.Serializable;
import java.util.List;

/**
 * The learning rate of each epoch ({@code protospark.model.optimizer.schedule}), stepped once per epoch as the seeds'
 * PyTorch schedulers are:
 * <ul>
 *   <li>{@code constant};</li>
 *   <li>{@code step}: PyTorch's {@code MultiStepLR}, the rate times γ for every milestone already passed
 *   (RePoNet: milestones 150, 250, γ = 0.1; DL2PA: 100, 200);</li>
 *   <li>{@code cosine}: {@code CosineAnnealingLR} with T_max = the run's epochs, lr·½(1 + cos(π·(e−1)/E)) (DSC);</li>
 * </ul>
 * optionally preceded by a linear warm-up over the first W epochs, lr·e/W (DL2PA's long-tail runs). Epochs are
 * numbered from 1.
 */
public record LearningRateSchedule(Kind kind, double base, List<Integer> milestones, double gamma, int warmupEpochs)
        implements Serializable {

    /** The schedule's shape. */
    public enum Kind {
        CONSTANT,
        STEP,
        COSINE
    }

    private static final String P = "protospark.model.optimizer.";

    public LearningRateSchedule {
        milestones = List.copyOf(milestones);
    }

    /** Reads {@code protospark.model.optimizer.{learning-rate, schedule, milestones, gamma, warmup-epochs}}. */
    public static LearningRateSchedule from(Config c) {
        Kind kind = Configs.enumValue(c, P + "schedule", Kind.class);
        double lr = Configs.positiveDouble(c, P + "learning-rate");
        List<Integer> milestones = c.getIntList(P + "milestones");
        int previous = 0;
        for (int m : milestones) {
            if (m <= previous) {
                throw new SettingsException(P + "milestones", "must be increasing positive epoch numbers",
                        milestones, "for example [150, 250]");
            }
            previous = m;
        }
        if (kind == Kind.STEP && milestones.isEmpty()) {
            throw new SettingsException(P + "milestones", "the step schedule needs at least one milestone",
                    milestones, "for example [150, 250], or schedule = constant");
        }
        double gamma = Configs.doubleInRange(c, P + "gamma", 0.0, 1.0);
        int warmup = Configs.nonNegativeInt(c, P + "warmup-epochs");
        return new LearningRateSchedule(kind, lr, milestones, gamma, warmup);
    }

    /** The learning rate of epoch {@code epoch} (1-based) of a run of {@code epochs} epochs. */
    public double at(int epoch, int epochs) {
        if (epoch < 1) {
            throw new IllegalArgumentException("epochs are numbered from 1, found " + epoch);
        }
        double lr = switch (kind) {
            case CONSTANT -> base;
            case STEP -> {
                int passed = 0;
                for (int m : milestones) {
                    if (epoch > m) {
                        passed++;
                    }
                }
                yield base * Math.pow(gamma, passed);
            }
            case COSINE -> base * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / Math.max(1, epochs)));
        };
        if (warmupEpochs > 0 && epoch <= warmupEpochs) {
            lr *= (double) epoch / warmupEpochs;
        }
        return lr;
    }
}
