package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-epoch learning rates against PyTorch's MultiStepLR and CosineAnnealingLR values. */
class LearningRateScheduleTest {
    private static LearningRateSchedule of(String... overrides) {
        return LearningRateSchedule.from(Configs.load(null, "test", List.of(overrides)));
    }

    @Test
    void stepDropsAfterEachMilestone() {
        var s = of("model.optimizer.learning-rate=0.1", "model.optimizer.schedule=step",
                "model.optimizer.milestones=[150, 250]");
        assertEquals(0.1, s.at(1, 350), 1e-15);
        assertEquals(0.1, s.at(150, 350), 1e-15); // PyTorch epoch index 149
        assertEquals(0.01, s.at(151, 350), 1e-15);
        assertEquals(0.01, s.at(250, 350), 1e-15);
        assertEquals(0.001, s.at(251, 350), 1e-15);
    }

    @Test
    void cosineAnnealsFromTheBaseRate() {
        var s = of("model.optimizer.learning-rate=0.05", "model.optimizer.schedule=cosine");
        assertEquals(0.05, s.at(1, 400), 1e-15);
        assertEquals(0.025, s.at(201, 400), 1e-12);
        assertTrue(s.at(400, 400) < 1e-5 && s.at(400, 400) > 0);
    }

    @Test
    void warmUpIsLinearThenTheScheduleRules() {
        var s = of("model.optimizer.learning-rate=0.1", "model.optimizer.schedule=step",
                "model.optimizer.milestones=[160, 180]", "model.optimizer.warmup-epochs=5");
        assertEquals(0.02, s.at(1, 200), 1e-15);
        assertEquals(0.1, s.at(5, 200), 1e-15);
        assertEquals(0.1, s.at(6, 200), 1e-15);
        assertEquals(0.001, s.at(181, 200), 1e-15);
    }

    @Test
    void refusesUnorderedOrMissingMilestones() {
        var e = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule=step",
                "model.optimizer.milestones=[250, 150]"));
        assertEquals("protospark.model.optimizer.milestones", e.key());
        var e2 = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule=step"));
        assertTrue(e2.getMessage().contains("at least one milestone"), e2.getMessage());
    }

    @Test
    void perIterationWarmUpThenCosineToTheFloor() {
        // DSC open-set: cosine over max_epoch x iterations; here 4 epochs of 25 steps, 10 warm-up steps, floor 1e-3
        var s = of("model.optimizer.learning-rate=0.1", "model.optimizer.schedule=cosine",
                "model.optimizer.schedule-unit=iteration", "model.optimizer.warmup-iterations=10",
                "model.optimizer.min-lr=0.001");
        IterationSchedule it = s.perIteration(25, 4);
        assertEquals(100, it.totalSteps());
        for (int step = 0; step < 100; step++) {
            double cosine = 0.001 + (0.1 - 0.001) * 0.5 * (1 + Math.cos(Math.PI * step / 100));
            double expected = step < 10 ? cosine * (step + 1) / 10.0 : cosine;
            assertEquals(expected, it.rateAt(step), 1e-15, "step " + step);
            assertEquals(expected, it.valueAt(step, 0), 1e-15);
        }
        assertEquals(0.001, it.rateAt(100), 1e-15, "past T the floor");
        assertEquals(0.0505, it.rateAt(50), 1e-15, "half way: the mean of the rate and the floor");
    }

    @Test
    void perIterationMultiStepAndWarmUpCountedInEpochs() {
        // MHE: lr x0.1 after iterations 20k, 30k, 37.5k (PyTorch MultiStepLR stepped every iteration)
        var s = of("model.optimizer.learning-rate=0.1", "model.optimizer.schedule=multistep",
                "model.optimizer.schedule-unit=iteration", "model.optimizer.milestones=[20000, 30000, 37500]",
                "model.optimizer.warmup-epochs=2");
        IterationSchedule it = s.perIteration(390, 109);
        assertEquals(0.1 / 780, it.rateAt(0), 1e-15, "warm-up over 2 epochs of 390 steps");
        assertEquals(0.1 * 390 / 780, it.rateAt(389), 1e-15);
        assertEquals(0.1, it.rateAt(779), 1e-15);
        assertEquals(0.1, it.rateAt(19_999), 1e-15);
        assertEquals(0.01, it.rateAt(20_000), 1e-15);
        assertEquals(0.001, it.rateAt(30_000), 1e-15);
        assertEquals(1e-4, it.rateAt(37_500), 1e-15);
        assertThrows(IllegalStateException.class, () -> s.at(1, 10));
    }

    @Test
    void epochScheduleIsUnchangedAndIterationKeysAreChecked() {
        var e = of("model.optimizer.learning-rate=0.05", "model.optimizer.schedule=cosine");
        assertEquals(LearningRateSchedule.Unit.EPOCH, e.unit());
        assertEquals(0.05 * 0.5 * (1 + Math.cos(Math.PI * 3 / 10)), e.at(4, 10), 1e-15);
        var floor = of("model.optimizer.learning-rate=0.05", "model.optimizer.schedule=cosine",
                "model.optimizer.min-lr=0.01");
        assertEquals(0.01 + 0.04 * 0.5 * (1 + Math.cos(Math.PI * 3 / 10)), floor.at(4, 10), 1e-15);

        var warm = assertThrows(SettingsException.class, () -> of("model.optimizer.warmup-iterations=100"));
        assertEquals("protospark.model.optimizer.warmup-iterations", warm.key());
        var both = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule-unit=iteration",
                "model.optimizer.warmup-iterations=100", "model.optimizer.warmup-epochs=1"));
        assertEquals("protospark.model.optimizer.warmup-iterations", both.key());
        var unit = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule-unit=step"));
        assertEquals("protospark.model.optimizer.schedule-unit", unit.key());
        var name = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule=cosin"));
        assertEquals("protospark.model.optimizer.schedule", name.key());
        assertTrue(name.getMessage().contains("cosine"), name.getMessage());
        var minLr = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule=step",
                "model.optimizer.milestones=[5]", "model.optimizer.min-lr=0.001"));
        assertEquals("protospark.model.optimizer.min-lr", minLr.key());
        var order = assertThrows(SettingsException.class, () -> of("model.optimizer.schedule=step",
                "model.optimizer.schedule-unit=iteration", "model.optimizer.milestones=[30000, 20000]"));
        assertEquals("protospark.model.optimizer.milestones", order.key());
        assertTrue(order.getMessage().contains("iteration"), order.getMessage());
    }
}
