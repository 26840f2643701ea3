package io.protospark.jobs.pretrained;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The import command's settings and refusals; nothing is written when it refuses. */
class ImportJobTest {
    @TempDir
    Path tmp;

    private static ImportJob.Settings settings(String... overrides) {
        List<String> o = new ArrayList<>(List.of("model.input.height=112", "model.input.width=112",
                "model.input.channels=3", "model.embedding-dim=512", "model.classes=10", "model.head.kind=learned"));
        o.addAll(List.of(overrides));
        return ImportJob.Settings.from(Configs.load(null, "test", o));
    }

    private Path fixture() throws IOException {
        Path f = tmp.resolve("state_dict.pth");
        try (InputStream in = ImportJobTest.class.getResourceAsStream("/torch/state_dict.pth")) {
            Files.copy(in, f);
        }
        return f;
    }

    @Test
    void refusesMissingKeysAWrongBackboneAndAMissingFile() {
        var from = assertThrows(SettingsException.class, () -> settings("model.backbone=iresnet18",
                "import.out=\"" + tmp.resolve("m/model.zip") + "\""));
        assertTrue(from.getMessage().contains("protospark.import.from"), from.getMessage());
        var backbone = assertThrows(SettingsException.class, () -> settings("model.backbone=resnet-small",
                "import.from=x.pth", "import.out=\"" + tmp.resolve("m/model.zip") + "\""));
        assertTrue(backbone.getMessage().contains("protospark.model.backbone")
                && backbone.getMessage().contains("iresnet18"), backbone.getMessage());
        var missing = assertThrows(SettingsException.class, () -> ImportJob.run(settings("model.backbone=iresnet18",
                "import.from=\"" + tmp.resolve("none.pth") + "\"", "import.out=\"" + tmp.resolve("m/model.zip")
                        + "\""), new Configuration()));
        assertTrue(missing.getMessage().contains("protospark.import.from") && missing.getMessage()
                .contains("none.pth"), missing.getMessage());
    }

    @Test
    void aStateDictOfOtherKeysIsRefusedAndNothingWritten() throws IOException {
        Path out = tmp.resolve("m/model.zip");
        String from = fixture().toString();
        var e = assertThrows(io.protospark.data.io.DataFormatException.class, () -> ImportJob.run(settings(
                "model.backbone=iresnet18",
                "import.from=\"" + from + "\"", "import.out=\"" + out + "\""), new Configuration()));
        assertTrue(e.getMessage().contains("state_dict.pth does not fit") && e.getMessage().contains("missing")
                && e.getMessage().contains("conv.weight"), e.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("m/resolved.conf")));
    }

    @Test
    void refusesADirectoryThatHoldsARunsResolvedConf() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("resolved.conf"), "protospark {}");
        String from = fixture().toString();
        var e = assertThrows(SettingsException.class, () -> ImportJob.run(settings("model.backbone=iresnet18",
                "import.from=\"" + from + "\"", "import.out=\"" + run.resolve("model.zip") + "\""),
                new Configuration()));
        assertTrue(e.getMessage().contains("protospark.import.out") && e.getMessage().contains("resolved.conf"),
                e.getMessage());
    }
}
