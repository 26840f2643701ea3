package io.protospark.model.net;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.prototype.PrototypeSpec;
import org.junit.jupiter.api.Test;

import com.typesafe.config.Config;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSettingsTest {

    private static Config conf(String... overrides) {
        return Configs.load(null, "test", List.of(overrides));
    }

    @Test
    void sectionsFollowTheReferenceConf() {
        ModelSettings s = ModelSettings.from(conf("model.input.channels=3", "model.input.mean=[0.5, 0.5, 0.5]",
                "model.input.std=[0.25, 0.25, 0.25]", "model.optimizer.name=nesterov", "model.dam.blocks=2",
                "model.head.open-set.margin=3"));
        assertEquals(new ModelSettings.Input(28, 28, 3, List.of(0.5, 0.5, 0.5), List.of(0.25, 0.25, 0.25)),
                s.input());
        assertEquals("28x28x3", s.input().shape());
        assertEquals(new ModelSettings.Dam(2, 2, false), s.dam());
        assertEquals(2, s.backboneDim());
        assertEquals(HeadKind.FIXED, s.head().kind());
        assertTrue(s.fixedHead());
        assertEquals(new ModelSettings.OpenSet(3, false), s.head().openSet());
        assertEquals(OptimizerKind.SGD, s.optimizer().kind());
        assertTrue(s.optimizer().nesterov());
        assertFalse(s.sphere().smallCnn());
    }

    @Test
    void theSpecOfTheHeadIsTheOneThePrototypeKeysGive() {
        Config c = conf("model.head.prototypes=orthoplex", "model.head.radius=2", "model.embedding-dim=5");
        assertEquals(PrototypeSpec.from(c), ModelSettings.from(c).prototypeSpec());
    }

    @Test
    void aCopyBuildsTheSameSettings() {
        ModelSettings s = ModelSettings.from(conf());
        assertEquals(s, s.toBuilder().build());
        ModelSettings wider = s.toBuilder().classes(5).embeddingDim(4).build();
        assertEquals(5, wider.prototypeSpec().classes());
        assertEquals(s.head(), wider.head());
    }

    @Test
    void theBuilderValidatesAsFromDoes() {
        ModelSettings s = ModelSettings.from(conf());
        ModelSettings.Head learnedTarget = new ModelSettings.Head(HeadKind.LEARNED, LossKind.NIRVANA_MSE, 0,
                s.head().openSet(), s.head().decision(), s.head().prototypes(), s.head().radius(),
                s.head().dscSubset(), s.head().estimation());
        SettingsException built = assertThrows(SettingsException.class,
                () -> s.toBuilder().head(learnedTarget).build());
        SettingsException read = assertThrows(SettingsException.class,
                () -> ModelSettings.from(conf("model.head.kind=learned", "model.head.loss=nirvana-mse")));
        assertEquals(read.getMessage(), built.getMessage());
        assertEquals("protospark.model.head.loss", built.key());

        SettingsException simplex = assertThrows(SettingsException.class,
                () -> s.toBuilder().embeddingDim(5).build());
        assertEquals("protospark.model.embedding-dim", simplex.key());
    }
}
