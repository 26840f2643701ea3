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
}
