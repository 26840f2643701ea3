package io.protospark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RoundMasterTest {

    @Test
    void roundSizeTakesTheRoundsMinibatchesOfEveryPartition() {
        int[] partitions = {7, 5, 0, 3};
        // rounds of 3: [0,3) takes 3 + 3 + 0 + 3, [3,6) takes 3 + 2 + 0 + 0, [6,9) takes 1 + 0 + 0 + 0
        assertEquals(9, RoundMaster.roundSize(partitions, 0, 3));
        assertEquals(5, RoundMaster.roundSize(partitions, 3, 6));
        assertEquals(1, RoundMaster.roundSize(partitions, 6, 9));
        assertEquals(0, RoundMaster.roundSize(partitions, 9, 12));
        long all = 0;
        for (int lo = 0; lo < 7; lo += 3) {
            all += RoundMaster.roundSize(partitions, lo, lo + 3);
        }
        assertEquals(15, all, "the rounds together hold every minibatch once");
        assertEquals(0, RoundMaster.roundSize(new int[0], 0, 10));
    }

    @Test
    void aNegativeCountIsRefused() {
        RoundMaster master = new RoundMaster(
                new org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster.Builder(2, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> master.nextRoundHas(-1));
        assertEquals("a round holds >= 0 minibatches, got -1", e.getMessage());
    }
}
