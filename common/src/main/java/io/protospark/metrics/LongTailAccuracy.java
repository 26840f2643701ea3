package io.protospark.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracy on the head, medium and tail classes of a long-tailed training set, split as in DL2PA (Saadabadi et
 * al., CVPR 2024) and the long-tailed recognition literature it follows: head = classes with more than 100
 * training examples, medium = 20 to 100 inclusive, tail = fewer than 20; built by
 * {@link ClosedSetMetrics#longTailAccuracy(int[], int[], long[])}.
 *
 * @param headClasses   classes with more than {@link ClosedSetMetrics#HEAD_ABOVE} training examples, ascending
 * @param mediumClasses classes with 20 to 100 training examples, ascending
 * @param tailClasses   classes with fewer than {@link ClosedSetMetrics#TAIL_BELOW} training examples, ascending
 * @param head          fraction of test examples of head classes predicted correctly; NaN if there are none
 * @param medium        likewise for medium classes
 * @param tail          likewise for tail classes
 * @param headTest      test examples of head classes
 * @param mediumTest    test examples of medium classes
 * @param tailTest      test examples of tail classes
 */
public record LongTailAccuracy(int[] headClasses, int[] mediumClasses, int[] tailClasses, double head,
                               double medium, double tail, long headTest, long mediumTest, long tailTest) {

    /** Copies the arrays. */
    public LongTailAccuracy {
        headClasses = headClasses.clone();
        mediumClasses = mediumClasses.clone();
        tailClasses = tailClasses.clone();
    }

    /** A copy of the head classes. */
    @Override
    public int[] headClasses() {
        return headClasses.clone();
    }

    /** A copy of the medium classes. */
    @Override
    public int[] mediumClasses() {
        return mediumClasses.clone();
    }

    /** A copy of the tail classes. */
    @Override
    public int[] tailClasses() {
        return tailClasses.clone();
    }

    /** Keys {@code head}, {@code medium}, {@code tail} (NaN as null), {@code head_test}, {@code medium_test},
     * {@code tail_test}, {@code head_classes}, {@code medium_classes}, {@code tail_classes}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("head", JsonValues.number(head));
        m.put("medium", JsonValues.number(medium));
        m.put("tail", JsonValues.number(tail));
        m.put("head_test", headTest);
        m.put("medium_test", mediumTest);
        m.put("tail_test", tailTest);
        m.put("head_classes", JsonValues.list(headClasses));
        m.put("medium_classes", JsonValues.list(mediumClasses));
        m.put("tail_classes", JsonValues.list(tailClasses));
        return m;
    }
}
