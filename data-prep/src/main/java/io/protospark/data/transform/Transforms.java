package io.protospark.data.transform;

import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The seeded, recorded transforms {@code prepare} applies between reading a source and writing shards. They work
 * on labels only (on the driver), so they cost the same for CIFAR held in memory and for ImageNet file lists.
 *
 * <ol>
 *   <li>Class selection: an open-set split (ARPL / DSC protocol, {@link OpenSetSplits}: known classes get labels
 *   0..C−1 in the split's order; unknown test examples go to split {@value Manifest#TEST_UNKNOWN} with label
 *   {@value Manifest#UNKNOWN_LABEL}; unknown training examples are dropped; for CIFAR+10 / CIFAR+50 the other
 *   CIFAR-10 classes are dropped and the caller adds the unknown CIFAR-100 test classes), or a class subset (the first N
 *   classes, or N drawn at random and kept in source order), labels remapped to 0..N−1.</li>
 *   <li>Long-tail subsampling of {@code train} (exponential profile of Cao et al., LDAM, NeurIPS 2019, as used by
 *   DL2PA): n_c = ⌊n_max·ρ^{c/(K−1)}⌋ with n_max = ⌊|train| / K⌋, classes in label order, a seeded random subset
 *   of each class (all of a class if it has fewer).</li>
 *   <li>Validation: a stratified, seeded fraction of each class of {@code train} (after long-tail) moves to
 *   split {@value Manifest#VALIDATION}.</li>
 * </ol>
 * Every random choice uses {@link Random} seeded from {@code seed} and the step, so a run is reproducible on any
 * machine; the subsets differ from the Python seeds' NumPy draws (same counts, different members).
 */
public final class Transforms {
    private static final long SUBSET_STREAM = 0x5EEDC1A55L;
    private static final long LONG_TAIL_STREAM = 0x5EED1A11L;
    private static final long VALIDATION_STREAM = 0x5EEDFA11L;

    private Transforms() {
    }

    /**
     * What to do.
     *
     * @param seed               seed of every random choice
     * @param subsetClasses      keep this many classes, 0 for all
     * @param subsetOrder        {@code first} or {@code random}
     * @param longTailRatio      ρ in (0, 1]; 1 leaves {@code train} as it is
     * @param validationFraction fraction of {@code train} held out, in [0, 1)
     * @param openSet            {@code NAME:SPLIT} or empty
     */
    public record Options(long seed, int subsetClasses, String subsetOrder, double longTailRatio,
                          double validationFraction, String openSet) {
        public boolean any() {
            return subsetClasses > 0 || longTailRatio < 1 || validationFraction > 0 || !openSet.isEmpty();
        }
    }

    /** One output split: which examples of which source split, with which output label. */
    public record Selection(String source, int[] index, int[] label) {
        public int size() {
            return index.length;
        }
    }

    /**
     * The result: output classes, their names, output splits in manifest order, and the record for the manifest
     * ({@code null} when no transform was asked for).
     */
    public record Plan(int classes, List<String> classNames, Map<String, Selection> splits,
                       Map<String, Object> record) {
    }

    /**
     * Plans the output splits from the source labels.
     *
     * @param source     per source split ({@code train}, {@code test}) the label of every example
     * @param classes    number of source classes
     * @param classNames their names
     */
    public static Plan plan(Map<String, int[]> source, int classes, List<String> classNames, Options o,
                            String openSetKey, String subsetKey, String longTailKey) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("seed", o.seed());

        // 1. which source classes are known, in output label order
        List<Integer> known;
        if (!o.openSet().isEmpty()) {
            known = openSetKnown(o.openSet(), classes, openSetKey);
            Map<String, Object> os = new LinkedHashMap<>();
            int colon = o.openSet().indexOf(':');
            os.put("name", o.openSet().substring(0, colon));
            os.put("split", Integer.parseInt(o.openSet().substring(colon + 1)));
            os.put("known_source_labels", known);
            if (isCifarPlus(o.openSet())) {
                os.put("unknown_source", "CIFAR-100 test, prepare.open-set-unknown-input");
                os.put("unknown_source_labels", cifarPlusUnknown(o.openSet()));
            } else {
                List<Integer> unknown = new ArrayList<>();
                for (int c = 0; c < classes; c++) {
                    if (!known.contains(c)) {
                        unknown.add(c);
                    }
                }
                os.put("unknown_source_labels", unknown);
            }
            record.put("open_set", os);
        } else if (o.subsetClasses() > 0) {
            if (o.subsetClasses() > classes) {
                throw new SettingsException(subsetKey, "must not exceed the number of classes of the source ("
                        + classes + ")", o.subsetClasses(), "choose at most " + classes + ", or 0 for all");
            }
            List<Integer> all = new ArrayList<>();
            for (int c = 0; c < classes; c++) {
                all.add(c);
            }
            if (o.subsetOrder().equals("random")) {
                Collections.shuffle(all, new Random(o.seed() ^ SUBSET_STREAM));
                known = new ArrayList<>(all.subList(0, o.subsetClasses()));
                Collections.sort(known);
            } else {
                known = all.subList(0, o.subsetClasses());
            }
            Map<String, Object> sub = new LinkedHashMap<>();
            sub.put("order", o.subsetOrder());
            sub.put("source_labels", known);
            record.put("class_subset", sub);
        } else {
            known = null;
        }
        int[] map = new int[classes];
        Arrays.fill(map, Manifest.UNKNOWN_LABEL);
        List<String> names = new ArrayList<>();
        if (known == null) {
            for (int c = 0; c < classes; c++) {
                map[c] = c;
            }
            names.addAll(classNames);
        } else {
            for (int i = 0; i < known.size(); i++) {
                map[known.get(i)] = i;
                names.add(classNames.get(known.get(i)));
            }
        }
        int k = names.size();

        Map<String, Selection> splits = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : source.entrySet()) {
            String name = e.getKey();
            int[] labels = e.getValue();
            IntList keep = new IntList();
            IntList keepLabel = new IntList();
            IntList unknown = new IntList();
            for (int i = 0; i < labels.length; i++) {
                int l = map[labels[i]];
                if (l >= 0) {
                    keep.add(i);
                    keepLabel.add(l);
                } else if (!o.openSet().isEmpty() && !isCifarPlus(o.openSet()) && name.equals(Manifest.TEST)) {
                    unknown.add(i);
                }
            }
            splits.put(name, new Selection(name, keep.toArray(), keepLabel.toArray()));
            if (unknown.size() > 0) {
                int[] minus = new int[unknown.size()];
                Arrays.fill(minus, Manifest.UNKNOWN_LABEL);
                splits.put(Manifest.TEST_UNKNOWN, new Selection(name, unknown.toArray(), minus));
            }
        }

        // 2. long tail on train
        Selection train = splits.get(Manifest.TRAIN);
        if (o.longTailRatio() < 1 && train != null) {
            if (k < 2) {
                throw new SettingsException(longTailKey, "needs at least 2 classes", o.longTailRatio(), null);
            }
            long[] counts = longTailCounts(train.size() / k, o.longTailRatio(), k);
            List<int[]> byClass = byClass(train, k);
            Random rnd = new Random(o.seed() ^ LONG_TAIL_STREAM);
            IntList chosen = new IntList();
            List<Long> kept = new ArrayList<>();
            for (int c = 0; c < k; c++) {
                int[] members = shuffled(byClass.get(c), rnd);
                int n = (int) Math.min(counts[c], members.length);
                kept.add((long) n);
                for (int j = 0; j < n; j++) {
                    chosen.add(members[j]);
                }
            }
            splits.put(Manifest.TRAIN, select(train, chosen));
            Map<String, Object> lt = new LinkedHashMap<>();
            lt.put("ratio", o.longTailRatio());
            lt.put("n_max", train.size() / k);
            lt.put("per_class", kept);
            record.put("long_tail", lt);
        }

        // 3. validation from train
        train = splits.get(Manifest.TRAIN);
        if (o.validationFraction() > 0 && train != null) {
            List<int[]> byClass = byClass(train, k);
            Random rnd = new Random(o.seed() ^ VALIDATION_STREAM);
            IntList held = new IntList();
            IntList rest = new IntList();
            for (int c = 0; c < k; c++) {
                int[] members = shuffled(byClass.get(c), rnd);
                int n = (int) Math.round(members.length * o.validationFraction());
                for (int j = 0; j < members.length; j++) {
                    (j < n ? held : rest).add(members[j]);
                }
            }
            Map<String, Selection> ordered = new LinkedHashMap<>();
            ordered.put(Manifest.TRAIN, select(train, rest));
            ordered.put(Manifest.VALIDATION, select(train, held));
            splits.forEach(ordered::putIfAbsent);
            splits = ordered;
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("fraction", o.validationFraction());
            v.put("from", Manifest.TRAIN);
            v.put("stratified", true);
            record.put("validation", v);
        }
        return new Plan(k, List.copyOf(names), splits, o.any() ? record : null);
    }

    /** n_c = ⌊n_max·ρ^{c/(K−1)}⌋ for c = 0..K−1. */
    public static long[] longTailCounts(long nMax, double ratio, int classes) {
        long[] n = new long[classes];
        for (int c = 0; c < classes; c++) {
            n[c] = (long) Math.floor(nMax * Math.pow(ratio, (double) c / (classes - 1)));
        }
        return n;
    }

    /** The known source classes of {@code NAME:SPLIT}, in output label order. */
    static List<Integer> openSetKnown(String spec, int classes, String key) {
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        if (colon < 0 || !OpenSetSplits.NAMES.contains(name)) {
            throw new SettingsException(key, "must be NAME:SPLIT with NAME one of " + OpenSetSplits.NAMES
                    + " and SPLIT in 0..4", spec, "for example cifar10:0");
        }
        int split;
        try {
            split = Integer.parseInt(spec.substring(colon + 1));
        } catch (NumberFormatException e) {
            split = -1;
        }
        if (split < 0 || split > 4) {
            throw new SettingsException(key, "split must be 0, 1, 2, 3 or 4 (the five published splits)", spec,
                    "for example " + name + ":0");
        }
        if (isCifarPlus(spec)) {
            if (classes != 10) {
                throw new SettingsException(key, name + " splits need CIFAR-10 as the source (10 classes), this one "
                        + "has " + classes, spec, "use --format cifar10");
            }
            return OpenSetSplits.CIFAR_PLUS_KNOWN.get(split);
        }
        int expected = OpenSetSplits.CLASSES.get(name);
        if (classes != expected) {
            throw new SettingsException(key, name + " splits need a source with " + expected + " classes, this one "
                    + "has " + classes, spec, null);
        }
        return OpenSetSplits.KNOWN.get(name).get(split);
    }

    /** Whether {@code spec} names a CIFAR+10 / CIFAR+50 split, whose unknowns come from CIFAR-100. */
    public static boolean isCifarPlus(String spec) {
        return spec.startsWith("cifar+");
    }

    /** The unknown CIFAR-100 classes of a valid {@code cifar+10:S} / {@code cifar+50:S} spec. */
    public static List<Integer> cifarPlusUnknown(String spec) {
        int split = Integer.parseInt(spec.substring(spec.indexOf(':') + 1));
        return (spec.startsWith("cifar+10:") ? OpenSetSplits.CIFAR_PLUS_10_UNKNOWN
                : OpenSetSplits.CIFAR_PLUS_50_UNKNOWN).get(split);
    }

    private static List<int[]> byClass(Selection s, int k) {
        List<IntList> lists = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            lists.add(new IntList());
        }
        for (int i = 0; i < s.size(); i++) {
            lists.get(s.label()[i]).add(i);
        }
        return lists.stream().map(IntList::toArray).toList();
    }

    private static int[] shuffled(int[] a, Random rnd) {
        int[] b = a.clone();
        for (int i = b.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return b;
    }

    /** The entries {@code positions} of {@code s}, in source order. */
    private static Selection select(Selection s, IntList positions) {
        int[] p = positions.toArray();
        Arrays.sort(p);
        int[] index = new int[p.length];
        int[] label = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            index[i] = s.index()[p[i]];
            label[i] = s.label()[p[i]];
        }
        return new Selection(s.source(), index, label);
    }

    private static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
