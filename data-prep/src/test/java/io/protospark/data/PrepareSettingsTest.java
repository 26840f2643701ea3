package io.protospark.data;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrepareSettingsTest {
    private static Config config(String... overrides) {
        return Configs.load(null, null, List.of(overrides));
    }

    @Test
    void referenceDefaults() {
        PrepareSettings s = PrepareSettings.from(config("prepare.input=/data/fashion", "prepare.output=out/fm"));
        assertEquals("idx", s.format());
        assertEquals(URI.create("/data/fashion"), s.input());
        assertEquals(URI.create("out/fm"), s.output());
        assertEquals(64.0, s.shardSizeMb());
        assertEquals(64L << 20, s.shardSizeBytes());
        assertEquals(PrepareSettings.DEFAULT_ROW_GROUP_MB, s.rowGroupMb());
        assertEquals(1L << 20, s.rowGroupBytes());
        assertFalse(s.overwrite());
        assertEquals(10, s.classes());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), s.classNames());
    }

    @Test
    void readsEveryKey() {
        PrepareSettings s = PrepareSettings.from(config("prepare.input=\"s3a://bucket/raw\"",
                "prepare.output=\"hdfs:///prepared/x\"", "prepare.shard-size-mb=0.5", "prepare.overwrite=true",
                "prepare.classes=3", "prepare.class-names=[cat, dog, bird]", "prepare.row-group-mb=0.25"));
        assertEquals(URI.create("s3a://bucket/raw"), s.input());
        assertEquals(URI.create("hdfs:///prepared/x"), s.output());
        assertEquals(512 * 1024, s.shardSizeBytes());
        assertEquals(256 * 1024, s.rowGroupBytes());
        assertTrue(s.overwrite());
        assertEquals(List.of("cat", "dog", "bird"), s.classNames());
    }

    @Test
    void emptyInputOrOutputNamesKeyAndFlag() {
        SettingsException e = assertThrows(SettingsException.class,
                () -> PrepareSettings.from(config("prepare.output=/out")));
        assertEquals("protospark.prepare.input", e.key());
        assertTrue(e.getMessage().contains("--input URI"), e.getMessage());

        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(config("prepare.input=/in")));
        assertEquals("protospark.prepare.output", e.key());
        assertTrue(e.getMessage().contains("--output URI"), e.getMessage());
    }

    @Test
    void badValuesNameKeyRuleAndValue() {
        SettingsException e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                config("prepare.input=/in", "prepare.output=/out", "prepare.format=cifar")));
        assertEquals("protospark.prepare.format", e.key());
        assertTrue(e.getMessage().contains("[idx, cifar10, cifar100") && e.getMessage().contains("\"cifar\""),
                e.getMessage());

        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                config("prepare.input=/in", "prepare.output=/out", "prepare.class-names=[a, b]")));
        assertEquals("protospark.prepare.class-names", e.key());
        assertTrue(e.getMessage().contains("classes = 10"), e.getMessage());

        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                config("prepare.input=/in", "prepare.output=/out", "prepare.shard-size-mb=0")));
        assertEquals("protospark.prepare.shard-size-mb", e.key());

        for (String bad : List.of("0", "-1", "4096")) {
            e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                    config("prepare.input=/in", "prepare.output=/out", "prepare.row-group-mb=" + bad)));
            assertEquals("protospark.prepare.row-group-mb", e.key());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }

        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                config("prepare.input=/in", "prepare.output=/out", "prepare.classes=300")));
        assertEquals("protospark.prepare.classes", e.key());

        e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                config("prepare.input=/data", "prepare.output=/data")));
        assertEquals("protospark.prepare.output", e.key());
    }

    @Test
    void transformKeys() {
        PrepareSettings s = PrepareSettings.from(config("prepare.input=/in", "prepare.output=/out"));
        assertEquals(new io.protospark.data.transform.Transforms.Options(0, 0, "first", 1.0, 0.0, ""),
                s.transforms());
        assertFalse(s.transforms().any());
        s = PrepareSettings.from(config("prepare.input=/in", "prepare.output=/out", "prepare.format=cifar10",
                "prepare.seed=7", "prepare.subset.classes=4", "prepare.subset.order=random",
                "prepare.long-tail-ratio=\"0.01\"", "prepare.validation-fraction=0.1"));
        assertEquals(new io.protospark.data.transform.Transforms.Options(7, 4, "random", 0.01, 0.1, ""),
                s.transforms());
        s = PrepareSettings.from(config("prepare.input=/in", "prepare.output=/out", "prepare.open-set=\"cifar10:3\""));
        assertEquals("cifar10:3", s.openSet());

        for (String[] bad : new String[][]{{"prepare.long-tail-ratio=0", "long-tail-ratio"},
                {"prepare.long-tail-ratio=1.5", "long-tail-ratio"}, {"prepare.validation-fraction=1", "validation"},
                {"prepare.subset.order=last", "subset.order"}, {"prepare.subset.classes=-1", "subset.classes"}}) {
            SettingsException e = assertThrows(SettingsException.class, () -> PrepareSettings.from(
                    config("prepare.input=/in", "prepare.output=/out", bad[0])));
            assertTrue(e.key().contains(bad[1]), e.key() + " for " + bad[0]);
        }
        SettingsException e = assertThrows(SettingsException.class, () -> PrepareSettings.from(config(
                "prepare.input=/in", "prepare.output=/out", "prepare.open-set=\"cifar10:0\"",
                "prepare.subset.classes=3")));
        assertEquals(PrepareSettings.SUBSET_CLASSES, e.key());
    }

    @Test
    void imageKeys() {
        PrepareSettings s = PrepareSettings.from(config("prepare.input=/in", "prepare.output=/out",
                "prepare.format=imagenet", "prepare.store=pixels", "prepare.image-size=224", "prepare.resize=exact",
                "prepare.corrupt-images=skip", "prepare.imagenet.val-ground-truth=\"/devkit/gt.txt\"",
                "prepare.imagenet.synsets=\"/devkit/synsets.txt\""));
        assertEquals(224, s.imageSize());
        assertEquals("exact", s.resize());
        assertEquals("skip", s.corruptImages());
        assertEquals("pixels", s.store());
        assertEquals(URI.create("/devkit/gt.txt"), s.valGroundTruth());
        assertEquals(URI.create("/devkit/synsets.txt"), s.synsets());
        assertEquals(0, PrepareSettings.from(config("prepare.input=/in", "prepare.output=/out",
                "prepare.format=recordio")).imageSize());

        for (String[] bad : new String[][]{
                {"prepare.format=imagefolder\", \"prepare.store=pixels", "image-size"},
                {"prepare.format=cifar10\", \"prepare.image-size=64", "image-size"},
                {"prepare.format=imagenet\", \"prepare.image-size=64\", \"prepare.imagenet.synsets=/s.txt",
                        "val-ground-truth"},
                {"prepare.format=imagefolder\", \"prepare.image-size=64\", \"prepare.resize=stretch", "resize"},
                {"prepare.format=imagefolder\", \"prepare.image-size=64\", \"prepare.corrupt-images=ignore",
                        "corrupt-images"},
                {"prepare.format=cifar10\", \"prepare.open-set=\"cifar+10:0\"", "open-set"},
                {"prepare.format=cifar10\", \"prepare.open-set-unknown-input=/c100", "open-set-unknown-input"}}) {
            List<String> overrides = new java.util.ArrayList<>(List.of("prepare.input=/in", "prepare.output=/out"));
            overrides.addAll(List.of(bad[0].split("\", \"")));
            SettingsException e = assertThrows(SettingsException.class,
                    () -> PrepareSettings.from(config(overrides.toArray(String[]::new))), bad[0]);
            assertTrue(e.key().endsWith(bad[1]), e.key() + " for " + bad[0]);
        }
    }

    @Test
    void unknownKeyUnderPrepareIsRefusedByLoad() {
        SettingsException e = assertThrows(SettingsException.class, () -> config("prepare.shard-size=10"));
        assertTrue(e.getMessage().contains("protospark.prepare.shard-size-mb"), e.getMessage());
    }
}
