package io.protospark.data.transform;

import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformsTest {
    private static final List<String> NAMES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    /** CIFAR-10-shaped labels: {@code perClass} of each class, interleaved. */
    private static Map<String, int[]> balanced(int perClass, int testPerClass) {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("train", interleaved(perClass));
        m.put("test", interleaved(testPerClass));
        return m;
    }

    private static int[] interleaved(int perClass) {
        int[] labels = new int[perClass * 10];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        return labels;
    }

    private static Transforms.Options options(long seed, int subset, String order, double rho, double val,
                                              String openSet) {
        return new Transforms.Options(seed, subset, order, rho, val, openSet);
    }

    private static Transforms.Plan plan(Map<String, int[]> source, Transforms.Options o) {
        return Transforms.plan(source, 10, NAMES, o, "open-set", "subset", "long-tail");
    }

    private static long[] counts(Transforms.Selection s, int k) {
        long[] c = new long[k];
        for (int l : s.label()) {
            c[l]++;
        }
        return c;
    }

    @Test
    void longTailGoldenCifar10() {
        assertArrayEquals(new long[]{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50},
                Transforms.longTailCounts(5000, 0.01, 10));
        Transforms.Plan p = plan(balanced(5000, 10), options(0, 0, "first", 0.01, 0, ""));
        assertArrayEquals(new long[]{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50},
                counts(p.splits().get("train"), 10));
        assertEquals(100, p.splits().get("test").size(), "test is never subsampled");
        @SuppressWarnings("unchecked")
        Map<String, Object> lt = (Map<String, Object>) p.record().get("long_tail");
        assertEquals(5000, lt.get("n_max"));
        assertEquals(List.of(5000L, 2997L, 1796L, 1077L, 645L, 387L, 232L, 139L, 83L, 50L), lt.get("per_class"));
        // source order kept, reproducible from the seed, another seed picks other members
        int[] index = p.splits().get("train").index();
        int[] sorted = index.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, index);
        assertArrayEquals(index, plan(balanced(5000, 10), options(0, 0, "first", 0.01, 0, ""))
                .splits().get("train").index());
        assertNotEquals(Arrays.toString(index), Arrays.toString(plan(balanced(5000, 10),
                options(1, 0, "first", 0.01, 0, "")).splits().get("train").index()));
    }

    @Test
    void noTransformIsIdentityWithoutRecord() {
        Transforms.Plan p = plan(balanced(3, 2), options(0, 0, "first", 1, 0, ""));
        assertNull(p.record());
        assertEquals(10, p.classes());
        assertEquals(NAMES, p.classNames());
        assertArrayEquals(interleaved(3), p.splits().get("train").label());
        assertEquals(List.of("train", "test"), List.copyOf(p.splits().keySet()));
    }

    @Test
    void classSubsetFirstAndRandom() {
        Transforms.Plan first = plan(balanced(4, 2), options(0, 3, "first", 1, 0, ""));
        assertEquals(3, first.classes());
        assertEquals(List.of("c0", "c1", "c2"), first.classNames());
        assertEquals(12, first.splits().get("train").size());
        for (int i = 0; i < 12; i++) {
            int src = first.splits().get("train").index()[i];
            assertEquals(src % 10, first.splits().get("train").label()[i]);
        }
        Transforms.Plan random = plan(balanced(4, 2), options(7, 4, "random", 1, 0, ""));
        @SuppressWarnings("unchecked")
        List<Integer> chosen = (List<Integer>) ((Map<String, Object>) random.record().get("class_subset"))
                .get("source_labels");
        assertEquals(4, chosen.size());
        assertEquals(chosen.stream().sorted().toList(), chosen);
        assertEquals(chosen.stream().map(c -> "c" + c).toList(), random.classNames());
        Transforms.Selection test = random.splits().get("test");
        for (int i = 0; i < test.size(); i++) {
            assertEquals(chosen.get(test.label()[i]).intValue(), test.index()[i] % 10);
        }
        assertEquals(chosen, ((Map<?, ?>) plan(balanced(4, 2), options(7, 4, "random", 1, 0, ""))
                .record().get("class_subset")).get("source_labels"));
        assertThrows(SettingsException.class, () -> plan(balanced(4, 2), options(0, 11, "first", 1, 0, "")));
    }

    @Test
    void stratifiedValidation() {
        Transforms.Plan p = plan(balanced(50, 5), options(3, 0, "first", 1, 0.1, ""));
        assertEquals(List.of("train", "validation", "test"), List.copyOf(p.splits().keySet()));
        assertArrayEquals(new long[]{45, 45, 45, 45, 45, 45, 45, 45, 45, 45}, counts(p.splits().get("train"), 10));
        assertArrayEquals(new long[]{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, counts(p.splits().get("validation"), 10));
        List<Integer> all = new ArrayList<>();
        Arrays.stream(p.splits().get("train").index()).forEach(all::add);
        Arrays.stream(p.splits().get("validation").index()).forEach(all::add);
        assertEquals(500, all.stream().distinct().count(), "disjoint and complete");
    }

    @Test
    void openSetCifar10Split0() {
        Transforms.Plan p = plan(balanced(3, 2), options(0, 0, "first", 1, 0, "cifar10:0"));
        assertEquals(6, p.classes());
        assertEquals(List.of("c0", "c6", "c4", "c9", "c1", "c7"), p.classNames());
        assertEquals(List.of("train", "test", Manifest.TEST_UNKNOWN), List.copyOf(p.splits().keySet()));
        assertEquals(18, p.splits().get("train").size());
        List<Integer> known = List.of(0, 6, 4, 9, 1, 7);
        Transforms.Selection train = p.splits().get("train");
        for (int i = 0; i < train.size(); i++) {
            assertEquals(known.indexOf(train.index()[i] % 10), train.label()[i]);
        }
        Transforms.Selection unknown = p.splits().get(Manifest.TEST_UNKNOWN);
        assertEquals(8, unknown.size());
        assertTrue(Arrays.stream(unknown.label()).allMatch(l -> l == -1));
        assertTrue(Arrays.stream(unknown.index()).allMatch(i -> List.of(2, 3, 5, 8).contains(i % 10)));
        @SuppressWarnings("unchecked")
        Map<String, Object> os = (Map<String, Object>) p.record().get("open_set");
        assertEquals(List.of(2, 3, 5, 8), os.get("unknown_source_labels"));

        assertEquals(List.of(2, 4, 1, 7, 9, 6), Transforms.openSetKnown("cifar10:4", 10, "k"));
        assertEquals(List.of(6, 3, 4, 9, 8, 2), Transforms.openSetKnown("mnist:4", 10, "k"));
        assertEquals(List.of(6, 7, 1, 9), Transforms.openSetKnown("cifar+50:1", 10, "k"));
        assertEquals(List.of(41, 9, 49, 40, 73, 60, 48, 30, 95, 71), Transforms.cifarPlusUnknown("cifar+10:1"));
        for (String bad : List.of("cifar10", "cifar10:5", "foo:0", "tiny-imagenet:0")) {
            assertThrows(SettingsException.class, () -> Transforms.openSetKnown(bad, 10, "k"), bad);
        }
        for (List<List<Integer>> splits : OpenSetSplits.KNOWN.values()) {
            assertEquals(5, splits.size());
        }
        assertEquals(20, Transforms.openSetKnown("tiny-imagenet:2", 200, "k").size());
        OpenSetSplits.CIFAR_PLUS_50_UNKNOWN.forEach(l -> assertEquals(50, l.stream().distinct().count()));
        OpenSetSplits.CIFAR_PLUS_10_UNKNOWN.forEach(l -> assertEquals(10, l.stream().distinct().count()));
    }
}
