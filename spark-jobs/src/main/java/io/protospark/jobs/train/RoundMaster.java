package io.protospark.jobs.train;

import org.apache.spark.api.java.JavaRDDLike;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/**
 * DL4J's parameter-averaging master, told how many minibatches each round holds instead of counting them.
 *
 * <p>Before it splits its input, DL4J's master counts it with a Spark job of its own ({@code count()}): one job per
 * averaging round that reads every partition of the epoch's cached minibatches. protospark's rounds are balanced
 * filters over partitions whose sizes the driver already collected, so the count is known; {@link #nextRoundHas}
 * hands it over and the extra job is skipped (the round's {@code count_ms} in {@code metrics.jsonl} is then 0). A fit
 * without a count handed over counts as DL4J does.
 */
final class RoundMaster extends ParameterAveragingTrainingMaster {
    private static final long serialVersionUID = 1L;

    private long next = -1;

    RoundMaster(Builder builder) {
        super(builder);
    }

    /** The number of minibatches the next {@code fit} receives (used once). */
    void nextRoundHas(long minibatches) {
        if (minibatches < 0) {
            throw new IllegalArgumentException("a round holds >= 0 minibatches, got " + minibatches);
        }
        next = minibatches;
    }

    /**
     * Minibatches of the rounds [lo, hi) of partitions holding {@code perPartition[p]} minibatches each: the round
     * takes the minibatches numbered lo … hi − 1 of every partition.
     */
    static long roundSize(int[] perPartition, int lo, int hi) {
        long n = 0;
        for (int p : perPartition) {
            n += Math.max(0, Math.min(hi, p) - lo);
        }
        return n;
    }

    @Override
    protected <T, R extends JavaRDDLike<T, R>> long getTotalDataSetObjectCount(JavaRDDLike<T, R> trainingData) {
        long n = next;
        next = -1;
        return n >= 0 ? n : super.getTotalDataSetObjectCount(trainingData);
    }
}
