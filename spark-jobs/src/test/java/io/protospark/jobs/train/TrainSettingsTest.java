package io.protospark.jobs.train;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.net.ModelSettings;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainSettingsTest {

    private static final URI DATA = URI.create("file:/tmp/data");
    private static final URI RUN = URI.create("file:/tmp/run");

    private static Config conf(String... overrides) {
        List<String> all = new java.util.ArrayList<>(
                List.of("train.data=\"" + DATA + "\"", "train.run-dir=\"" + RUN + "\""));
        all.addAll(List.of(overrides));
        return Configs.load(null, "test", all);
    }

    @Test
    void theBuilderDefaultsAreTheReferenceConf() {
        assertEquals(TrainSettings.from(conf()), TrainSettings.builder().data(DATA).runDir(RUN).build());
    }

    @Test
    void sectionsFollowTheReferenceConf() {
        TrainSettings t = TrainSettings.from(conf("train.augment.crop-padding=4", "train.augment.flip=true",
                "train.mixup.alpha=1", "train.outliers.data=\"file:/tmp/outliers\"", "train.outliers.per-batch=8",
                "train.assignment.mode=dynamic", "train.assignment.every=2", "train.assignment.memory=epoch-pass"));
        assertEquals(new TrainSettings.Augment(4, true), t.augment());
        assertEquals(new io.protospark.jobs.examples.Erasing(0.25, 0.05, 0.2, 0.5, 2.0), TrainSettings.from(conf(
                "train.augment.erase.probability=0.25", "train.augment.erase.scale=[0.05, 0.2]",
                "train.augment.erase.ratio=[0.5, 2]")).augment().erase());
        for (String bad : List.of("train.augment.erase.scale=[0.3, 0.1]", "train.augment.erase.scale=[0, 0.5]",
                "train.augment.erase.scale=[0.1]", "train.augment.erase.ratio=[0.3, x]",
                "train.augment.erase.scale=0.2")) {
            var e = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(bad)), bad);
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('=')))
                    && e.getMessage().contains("[lo, hi]"), e.getMessage());
        }
        assertEquals(ExtraEvaluation.MEAN_VERIFICATION_ACCURACY, TrainSettings.from(conf(
                "train.eval.sets=[{name=lfw, split=lfw}]", "train.checkpoint.monitor=verification.mean_accuracy"))
                .lifecycle().monitor());
        var reserved = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(
                "train.eval.sets=[{name=verification}]")));
        assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
        var p = assertThrows(SettingsException.class,
                () -> TrainSettings.from(conf("train.augment.erase.probability=1.5")));
        assertTrue(p.getMessage().contains("protospark.train.augment.erase.probability"), p.getMessage());
        assertEquals(1.0, t.mixup().alpha());
        assertEquals(new TrainSettings.Outliers(Optional.of(URI.create("file:/tmp/outliers")), "train", 8),
                t.outliers());
        assertEquals(8, t.outliersInEachBatch());
        assertEquals(new TrainSettings.Assignment(TrainSettings.AssignmentMode.DYNAMIC, 2, 0,
                TrainSettings.AssignmentStart.IDENTITY, TrainSettings.AssignmentMemory.EPOCH_PASS, 0.9, 5000),
                t.assignment());
        assertEquals(t, t.toBuilder().build());
        assertEquals(64, t.toBuilder().outliers(new TrainSettings.Outliers(t.outliers().data(), "train", 0)).build()
                .outliersInEachBatch());
    }

    @Test
    void evaluationSetsAndTheirMonitorsAreCheckedByKey() {
        TrainSettings t = TrainSettings.from(conf("train.eval.every=2",
                "train.eval.sets=[{name = lfw, data = \"file:/tmp/v\", split = lfw}, {name = osr, unknown-split = u}]",
                "train.checkpoint.monitor=lfw.accuracy"));
        assertEquals(2, t.evaluations().every());
        assertEquals(TrainSettings.Evaluations.DEFAULT_BATCH_SIZE, t.evaluations().batchSize());
        assertEquals(32, TrainSettings.from(conf("train.eval.batch-size=32")).evaluations().batchSize());
        io.protospark.config.SettingsException bad = org.junit.jupiter.api.Assertions.assertThrows(
                io.protospark.config.SettingsException.class,
                () -> TrainSettings.from(conf("train.eval.batch-size=0")));
        org.junit.jupiter.api.Assertions.assertTrue(bad.getMessage().contains("protospark.train.eval.batch-size")
                && bad.getMessage().contains("must be a positive integer"), bad.getMessage());
        assertEquals(List.of("lfw", "osr"), t.evaluations().sets().stream().map(TrainSettings.Extra::name).toList());
        assertEquals(java.util.Optional.of(java.net.URI.create("file:/tmp/v")), t.evaluations().sets().get(0).data());
        assertEquals("u", t.evaluations().sets().get(1).unknownSplit());
        assertEquals("lfw.accuracy", t.lifecycle().monitor());
        // due after every 2nd epoch and after the last
        assertEquals(List.of(2, 4, 5), java.util.stream.IntStream.rangeClosed(1, 5)
                .filter(e -> t.evaluations().due(e, 5)).boxed().toList());
        var unknownKey = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(
                "train.eval.sets=[{name = lfw, dataset = x}]")));
        assertTrue(unknownKey.getMessage().contains("protospark.train.eval.sets[0].dataset"), unknownKey.getMessage());
        var badName = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(
                "train.eval.sets=[{data = x}]")));
        assertTrue(badName.getMessage().contains("protospark.train.eval.sets[0].name"), badName.getMessage());
        var twice = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(
                "train.eval.sets=[{name = a}, {name = a}]")));
        assertTrue(twice.getMessage().contains("sets[1].name") && twice.getMessage().contains("unique"),
                twice.getMessage());
        var monitor = assertThrows(SettingsException.class, () -> TrainSettings.from(conf(
                "train.eval.sets=[{name = lfw}]", "train.checkpoint.monitor=cfp.accuracy")));
        assertTrue(monitor.getMessage().contains("protospark.train.checkpoint.monitor")
                && monitor.getMessage().contains("[lfw]"), monitor.getMessage());
    }

    @Test
    void validateRefusesWhatTheModelCannotTrainWith() {
        ModelSettings learned = ModelSettings.from(conf("model.head.kind=learned"));
        TrainSettings dynamic = TrainSettings.builder().data(DATA).runDir(RUN)
                .assignment(new TrainSettings.Assignment(TrainSettings.AssignmentMode.DYNAMIC, 1, 0,
                        TrainSettings.AssignmentStart.IDENTITY, TrainSettings.AssignmentMemory.BATCHES, 0.9, 5000))
                .build();
        SettingsException e = assertThrows(SettingsException.class, () -> dynamic.validate(learned));
        assertEquals("protospark.train.assignment.mode", e.key());

        ModelSettings mse = ModelSettings.from(conf("model.head.loss=nirvana-mse"));
        TrainSettings mixed = TrainSettings.builder().data(DATA).runDir(RUN).mixup(new TrainSettings.Mixup(1))
                .build();
        assertEquals("protospark.train.mixup.alpha",
                assertThrows(SettingsException.class, () -> mixed.validate(mse)).key());
        TrainSettings smoothed = TrainSettings.builder().data(DATA).runDir(RUN).labelSmoothing(0.1).build();
        assertEquals("protospark.train.label-smoothing",
                assertThrows(SettingsException.class, () -> smoothed.validate(mse)).key());
    }
}
