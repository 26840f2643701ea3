package io.protospark.data.transform;

import java.util.List;
import java.util.Map;

/**
 * The open-set recognition splits used by ARPL (Chen et al., "Adversarial Reciprocal Points Learning for
 * Open Set Recognition", TPAMI 2021; {@code split.py}, {@code splits_2020}) and reused by the Deep Simplex
 * Classifier's {@code NirvanaOSR.py}: five splits per data set, each the list of known classes in the order
 * that defines their new labels 0..C−1. Every other class of the data set is unknown.
 *
 * <p>{@code cifar+10} / {@code cifar+50}: the known classes are four CIFAR-10 classes ({@code cifar100} key of
 * {@code splits_2020}), the unknown ones 10 or 50 CIFAR-100 classes ({@code cifar100-10}, {@code cifar100-50}).
 */
public final class OpenSetSplits {
    private OpenSetSplits() {
    }

    /** Known classes per single-source data set: name → 5 splits. */
    public static final Map<String, List<List<Integer>>> KNOWN = Map.of(
            "mnist", List.of(
                    List.of(2, 4, 5, 9, 8, 3),
                    List.of(3, 2, 6, 9, 4, 0),
                    List.of(5, 8, 3, 2, 4, 6),
                    List.of(3, 7, 8, 4, 0, 5),
                    List.of(6, 3, 4, 9, 8, 2)),
            "svhn", List.of(
                    List.of(5, 3, 7, 2, 8, 6),
                    List.of(3, 8, 7, 6, 2, 5),
                    List.of(8, 9, 4, 7, 2, 1),
                    List.of(3, 8, 2, 5, 0, 6),
                    List.of(4, 9, 2, 7, 1, 0)),
            "cifar10", List.of(
                    List.of(0, 6, 4, 9, 1, 7),
                    List.of(7, 6, 4, 9, 0, 1),
                    List.of(1, 5, 7, 3, 9, 4),
                    List.of(8, 6, 1, 9, 0, 7),
                    List.of(2, 4, 1, 7, 9, 6)),
            "tiny-imagenet", List.of(
                    List.of(108, 147, 17, 58, 193, 123, 72, 144, 75, 167, 134, 14, 81, 171, 44, 197, 152, 66, 1, 133),
                    List.of(198, 161, 91, 59, 57, 134, 61, 184, 90, 35, 29, 23, 199, 38, 133, 19, 186, 18, 85, 67),
                    List.of(177, 0, 119, 26, 78, 80, 191, 46, 134, 92, 31, 152, 27, 60, 114, 50, 51, 133, 162, 93),
                    List.of(98, 36, 158, 177, 189, 157, 170, 191, 82, 196, 138, 166, 43, 13, 152, 11, 75, 174, 193,
                            190),
                    List.of(95, 6, 145, 153, 0, 143, 31, 23, 189, 81, 20, 21, 89, 26, 36, 170, 102, 177, 108, 169)));

    /** Number of classes of each single-source data set. */
    public static final Map<String, Integer> CLASSES = Map.of("mnist", 10, "svhn", 10, "cifar10", 10,
            "tiny-imagenet", 200);

    /** CIFAR+N: the four known CIFAR-10 classes per split. */
    public static final List<List<Integer>> CIFAR_PLUS_KNOWN = List.of(
            List.of(4, 7, 9, 1),
            List.of(6, 7, 1, 9),
            List.of(9, 6, 1, 7),
            List.of(6, 4, 9, 1),
            List.of(1, 0, 9, 8));

    /** CIFAR+10: the ten unknown CIFAR-100 classes per split. */
    public static final List<List<Integer>> CIFAR_PLUS_10_UNKNOWN = List.of(
            List.of(30, 25, 1, 9, 8, 0, 46, 52, 49, 71),
            List.of(41, 9, 49, 40, 73, 60, 48, 30, 95, 71),
            List.of(8, 9, 49, 40, 73, 60, 48, 95, 30, 71),
            List.of(95, 60, 30, 73, 46, 49, 68, 99, 8, 71),
            List.of(33, 2, 3, 97, 46, 21, 64, 63, 88, 43));

    /** CIFAR+50: the fifty unknown CIFAR-100 classes per split. */
    public static final List<List<Integer>> CIFAR_PLUS_50_UNKNOWN = List.of(
            List.of(27, 94, 29, 77, 88, 26, 69, 48, 75, 5, 59, 93, 39, 57, 45, 40, 78, 20, 98, 47, 66, 70, 91, 76, 41,
                    83, 99, 32, 53, 72, 2, 95, 21, 73, 84, 68, 35, 11, 55, 60, 30, 25, 1, 9, 8, 0, 46, 52, 49, 71),
            List.of(65, 97, 86, 24, 45, 67, 2, 3, 91, 98, 79, 29, 62, 82, 33, 76, 0, 35, 5, 16, 54, 11, 99, 52, 85, 1,
                    25, 66, 28, 84, 23, 56, 75, 46, 21, 72, 55, 68, 8, 69, 41, 9, 49, 40, 73, 60, 48, 30, 95, 71),
            List.of(20, 83, 65, 97, 94, 2, 93, 16, 67, 29, 62, 33, 24, 98, 5, 86, 35, 54, 0, 91, 52, 66, 85, 84, 56,
                    11, 1, 76, 25, 55, 21, 99, 72, 41, 23, 75, 28, 68, 69, 46, 8, 9, 49, 40, 73, 60, 48, 95, 30, 71),
            List.of(92, 82, 77, 64, 5, 33, 62, 56, 70, 0, 20, 28, 67, 14, 84, 53, 91, 29, 85, 2, 52, 83, 75, 35, 11,
                    21, 72, 98, 55, 1, 41, 76, 25, 66, 69, 9, 48, 54, 40, 23, 95, 60, 30, 73, 46, 49, 68, 99, 8, 71),
            List.of(47, 6, 19, 0, 62, 93, 59, 65, 54, 70, 34, 55, 23, 38, 72, 76, 53, 31, 78, 96, 77, 27, 92, 18, 82,
                    50, 98, 32, 1, 75, 83, 4, 51, 35, 80, 11, 74, 66, 36, 42, 33, 2, 3, 97, 46, 21, 64, 63, 88, 43));

    /** Every name {@code --open-set NAME:SPLIT} accepts. */
    public static final List<String> NAMES = List.of("mnist", "svhn", "cifar10", "tiny-imagenet", "cifar+10",
            "cifar+50");
}
