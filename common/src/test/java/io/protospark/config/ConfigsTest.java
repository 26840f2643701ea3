package io.protospark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigsTest {
    @Test
    void nonBlankReturnsTheValueAndRefusesBlankByKey() {
        Config c = ConfigFactory.parseString("a.run-dir = \"/runs/x\"\na.out = \"  \"");
        assertEquals("/runs/x", Configs.nonBlank(c, "a.run-dir", "must name a run directory", "set it"));
        SettingsException e = assertThrows(SettingsException.class,
                () -> Configs.nonBlank(c, "a.out", "must name an output", "set it with --out"));
        assertTrue(e.getMessage().contains("a.out") && e.getMessage().contains("must name an output")
                && e.getMessage().contains("set it with --out"), e.getMessage());
        assertThrows(SettingsException.class, () -> Configs.nonBlank(c, "a.missing", "must name it", "set it"));
    }
}
