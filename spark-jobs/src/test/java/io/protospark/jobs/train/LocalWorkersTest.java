package io.protospark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class LocalWorkersTest {
    private static final long GIB = 1L << 30;

    @Test
    void oneWorkerPerCoreWhenTheyFit() {
        LocalWorkers.Choice c = LocalWorkers.choose(0, 2, true, 4 * GIB, 20 * GIB);
        assertEquals(2, c.workers());
        assertEquals("", c.message());
    }

    @Test
    void defaultCountIsLoweredToWhatFitsTheLimit() {
        // the reponet files: 12G per worker under the launcher's 20 GiB limit on a 24 GB machine
        LocalWorkers.Choice c = LocalWorkers.choose(0, 2, true, 12 * GIB, 20 * GIB);
        assertEquals(1, c.workers());
        assertFalse(c.warning());
        assertTrue(c.message().contains("training with 1 worker instead of one per core (2)"), c.message());
        assertTrue(c.message().contains("12.0 GiB") && c.message().contains("20.0 GiB"), c.message());
        assertEquals(3, LocalWorkers.choose(0, 8, true, 5 * GIB, 17 * GIB).workers());
    }

    @Test
    void atLeastOneWorkerEvenWhenNoneFits() {
        assertEquals(1, LocalWorkers.choose(0, 2, true, 30 * GIB, 20 * GIB).workers());
    }

    @Test
    void explicitCountIsKeptWithAWarning() {
        LocalWorkers.Choice c = LocalWorkers.choose(2, 2, true, 12 * GIB, 20 * GIB);
        assertEquals(2, c.workers());
        assertTrue(c.warning());
        assertTrue(c.message().contains("train.workers = 2 may run out of memory") && c.message()
                .contains("set train.workers=1"), c.message());
    }

    @Test
    void clustersAndUndeclaredMemoryAreUnchanged() {
        assertEquals(2, LocalWorkers.choose(0, 2, false, 12 * GIB, 20 * GIB).workers());
        assertEquals(2, LocalWorkers.choose(0, 2, true, 0, 20 * GIB).workers());
        assertEquals(2, LocalWorkers.choose(0, 2, true, 12 * GIB, 0).workers());
        assertEquals(5, LocalWorkers.choose(5, 2, false, 12 * GIB, 20 * GIB).workers());
    }

    @Test
    void settingParsesSizesAndRefusesOthers() {
        assertEquals(12 * GIB, settings("train.worker-memory=12G").workerMemory());
        assertEquals(0, settings().workerMemory());
        SettingsException e = org.junit.jupiter.api.Assertions.assertThrows(SettingsException.class,
                (Executable) () -> settings("train.worker-memory=lots"));
        assertTrue(e.getMessage().contains("protospark.train.worker-memory") && e.getMessage().contains("lots"),
                e.getMessage());
    }

    private static TrainSettings settings(String... overrides) {
        java.util.List<String> all = new java.util.ArrayList<>(List.of("train.data=\"file:/tmp/data\"",
                "train.run-dir=\"file:/tmp/run\""));
        all.addAll(List.of(overrides));
        return TrainSettings.from(Configs.load(null, "test", all));
    }
}
