package io.protospark.jobs;

import io.protospark.config.Configs;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import org.apache.spark.SparkConf;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bytes of an averaging round, and the native threads each worker gets. */
class RoundBytesTest {
    private static ComputationGraph net(String... overrides) {
        ModelSettings s = ModelSettings.from(Configs.load(null, "test", List.of(overrides)));
        return Networks.build(s, Prototypes.build(s));
    }

    @Test
    void roundCarriesParametersBothWaysAndTheFixedPrototypesInTheRightPlace() {
        ComputationGraph head = net();
        RoundBytes b = RoundBytes.of(head);
        long paramBytes = head.numParams() * 4;
        // the broadcast holds configuration + parameters + updater state; each result parameters + updater state
        assertTrue(b.broadcast() > b.configuration() + paramBytes, b.toString());
        assertTrue(b.resultPerWorker() > paramBytes, b.toString());
        assertEquals(10 * 9 * 4, b.fixed(), "simplex 10 x 9 in float, inside the parameters");
        assertEquals(b.broadcast() + 3 * b.resultPerWorker(), b.perRound(3, 1));

        // a target loss carries its (double) targets in the configuration instead
        RoundBytes t = RoundBytes.of(net("model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres"));
        assertTrue(t.fixed() >= 10 * 9 * 8, t.toString());
        assertTrue(t.configuration() > t.fixed(), t.toString());
    }

    @Test
    void workersShareTheCoresInLocalModeAndTakeTheTaskCpusOnACluster() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.max(1, cores / Math.min(2, cores)),
                WorkerThreads.auto(new SparkConf().setMaster("local[" + cores + "]"), Math.min(2, cores)));
        assertEquals(cores, WorkerThreads.auto(new SparkConf().setMaster("local[4]"), 1));
        assertEquals(Math.max(1, cores / 2), WorkerThreads.auto(new SparkConf().setMaster("local[2]"), 8));
        assertEquals(cores, WorkerThreads.auto(new SparkConf().setMaster("local"), 4));
        assertEquals(4, WorkerThreads.auto(new SparkConf().setMaster("spark://h:7077").set("spark.task.cpus", "4"), 8));
        assertEquals(1, WorkerThreads.auto(new SparkConf().setMaster("yarn"), 8));
    }
}
