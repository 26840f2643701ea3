package io.protospark.config;

import io.protospark.model.net.ModelSettings;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigValidationTest {

    private static SettingsException refused(String experiment, String... overrides) {
        return assertThrows(SettingsException.class,
                () -> ModelSettings.from(Configs.load(experiment, "exp.conf", List.of(overrides))));
    }

    @Test
    void simplexThatDoesNotFitTheClassesIsRefused() {
        SettingsException e = refused(null, "model.classes=10", "model.embedding-dim=5");
        assertEquals("protospark.model.embedding-dim", e.key());
        assertEquals("config key 'protospark.model.embedding-dim': a simplex head for 10 classes needs "
                + "embedding-dim = classes - 1 = 9; found 5; set embedding-dim = 9 or use head.kind = learned",
                e.getMessage());
    }

    @Test
    void misspeltKeyNamesTheFileAndTheClosestKey() {
        SettingsException e = refused("protospark.model.embeding-dim = 9\n");
        assertEquals("protospark.model.embeding-dim", e.key());
        assertEquals("config key 'protospark.model.embeding-dim' (set in exp.conf: 1) is not a protospark setting; "
                + "did you mean 'protospark.model.embedding-dim'?", e.getMessage());
    }

    @Test
    void aKeyWhoseDefaultIsNullCanBeSet() {
        // null defaults are keys too (Config.entrySet() leaves them out)
        ModelSettings s = ModelSettings.from(Configs.load(null, "test", List.of("model.energy.form=2",
                "model.energy.hidden-weight=0.5", "model.energy.classifier-weight=3")));
        assertEquals(0.5, s.energy().hiddenWeight());
        assertEquals(3.0, s.energy().classifierWeight());
        SettingsException e = refused(null, "model.energy.hiden-weight=0.5");
        assertEquals("protospark.model.energy.hiden-weight", e.key());
    }

    @Test
    void wrongTypeNamesKeyAndValue() {
        SettingsException e = refused(null, "model.classes=ten");
        assertEquals("protospark.model.classes", e.key());
        assertEquals("config key 'protospark.model.classes': must be an integer (set in override "
                + "'model.classes=ten': 1); found \"ten\"", e.getMessage());
    }

    @Test
    void unknownChoiceSuggestsTheClosest() {
        SettingsException e = refused(null, "model.head.kind=fixd");
        assertEquals("config key 'protospark.model.head.kind': must be one of [fixed, learned, normalized]; found \"fixd\"; "
                + "did you mean \"fixed\"?", e.getMessage());
    }

    @Test
    void tooManyConvBlocksForTheImage() {
        SettingsException e = refused(null, "model.conv-channels=[8,8,8,8,8,8]");
        assertEquals("protospark.model.conv-channels", e.key());
    }

    @Test
    void defaultsAreValid() {
        ModelSettings s = ModelSettings.from(Configs.load(null, "none", List.of()));
        assertEquals(10, s.classes());
        assertEquals(9, s.embeddingDim());
    }
}
