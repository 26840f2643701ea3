package io.protospark.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.fs.Path;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The settings of {@code protospark prepare}, read from {@code protospark.prepare.*} (defaults in data-prep's
 * {@code reference.conf}). Every construction path validates: a bad value raises a {@link SettingsException}
 * naming the key, the rule and the value.
 *
 * @param format      input format, one of {@link #FORMATS}
 * @param input       directory of the raw input files (npy: the {@code .npy} file itself)
 * @param output      directory the prepared data set is published to
 * @param shardSizeMb target uncompressed size of one shard, MiB
 * @param overwrite   whether an existing {@code output} may be replaced
 * @param classes     number of classes (IDX; the other formats read it from their source)
 * @param classNames  one name per class; an empty list becomes "0", "1", ... (IDX; others read their own)
 * @param seed        seed of every random choice of the transforms (not the training seed)
 * @param subsetClasses      keep only this many classes, 0 for all ({@code --classes})
 * @param subsetOrder        {@code first} or {@code random} (seeded) classes for the subset
 * @param longTailRatio      long-tail imbalance ρ in (0, 1]; 1 leaves the training split as it is
 * @param validationFraction stratified fraction of the training split held out as {@code validation}, [0, 1)
 * @param openSet            open-set split {@code NAME:SPLIT}, or empty
 * @param imageSize          side of the square images of the image-file formats; 0 for the others
 * @param resize             {@code shorter-side-crop} or {@code exact}
 * @param corruptImages      {@code fail} or {@code skip} an image file that cannot be decoded
 * @param valGroundTruth     ImageNet flat val: {@code ILSVRC2012_validation_ground_truth.txt}, or {@code null}
 * @param synsets            ImageNet flat val: ILSVRC2012_ID → WNID text mapping, or {@code null}
 * @param openSetUnknownInput CIFAR+10 / CIFAR+50 only: the cifar-100-binary folder the unknowns come from
 * @param labels      npy only: a 1-d integer {@code .npy} with one label per image, or {@code null} (all label 0)
 * @param rowGroupMb  target uncompressed size of one Parquet row group within a shard, MiB
 * @param store       {@code pixels} (decoded, resized, centre-cropped uint8 CHW) or {@code encoded} (the image file's
 *                    own bytes, or a JPEG re-encoded after resizing the shorter side to {@code imageSize});
 *                    empty = the format's default, {@link #defaultStore}
 */
public record PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite,
                              int classes, List<String> classNames, long seed, int subsetClasses,
                              String subsetOrder, double longTailRatio, double validationFraction,
                              String openSet, int imageSize, String resize, String corruptImages,
                              URI valGroundTruth, URI synsets, URI openSetUnknownInput, URI labels,
                              double rowGroupMb, String store) {
    /** Config prefix of these settings. */
    public static final String PREFIX = "protospark.prepare.";
    public static final String FORMAT = PREFIX + "format";
    public static final String INPUT = PREFIX + "input";
    public static final String OUTPUT = PREFIX + "output";
    public static final String SHARD_SIZE_MB = PREFIX + "shard-size-mb";
    public static final String ROW_GROUP_MB = PREFIX + "row-group-mb";
    public static final String OVERWRITE = PREFIX + "overwrite";
    public static final String CLASSES = PREFIX + "classes";
    public static final String CLASS_NAMES = PREFIX + "class-names";
    public static final String SEED = PREFIX + "seed";
    public static final String SUBSET_CLASSES = PREFIX + "subset.classes";
    public static final String SUBSET_ORDER = PREFIX + "subset.order";
    public static final String LONG_TAIL_RATIO = PREFIX + "long-tail-ratio";
    public static final String VALIDATION_FRACTION = PREFIX + "validation-fraction";
    public static final String OPEN_SET = PREFIX + "open-set";
    public static final String IMAGE_SIZE = PREFIX + "image-size";
    public static final String RESIZE = PREFIX + "resize";
    public static final String CORRUPT_IMAGES = PREFIX + "corrupt-images";
    public static final String VAL_GROUND_TRUTH = PREFIX + "imagenet.val-ground-truth";
    public static final String SYNSETS = PREFIX + "imagenet.synsets";
    public static final String OPEN_SET_UNKNOWN_INPUT = PREFIX + "open-set-unknown-input";
    public static final String LABELS = PREFIX + "labels";
    public static final String STORE = PREFIX + "store";

    /** The input formats {@code prepare} reads. */
    public static final List<String> FORMATS = List.of("idx", "cifar10", "cifar100", "imagefolder", "imagenet",
            "recordio", "verification-bin", "lfw-pairs", "npy", "svhn", "stl10", "tiny-imagenet");
    /** The formats that produce verification pairs ({@code ShardSchema.PAIR_SCHEMA}), not labelled examples. */
    public static final List<String> PAIR_FORMATS = List.of("verification-bin", "lfw-pairs");
    /** Image side of pair formats when {@link #IMAGE_SIZE} is 0: the 112x112 of the face protocols. */
    public static final int PAIR_IMAGE_SIZE = 112;
    /** The formats that decode image files and so need {@link #IMAGE_SIZE}. */
    public static final List<String> IMAGE_FORMATS = List.of("imagefolder", "imagenet");
    /**
     * The formats that decode encoded images and may resize them ({@code recordio}: 0 = the property's size,
     * {@code tiny-imagenet}: 0 = 64).
     */
    public static final List<String> RESIZING_FORMATS = List.of("imagefolder", "imagenet", "recordio",
            "verification-bin", "lfw-pairs", "tiny-imagenet");
    /** Image side of {@code tiny-imagenet} when {@link #IMAGE_SIZE} is 0: its native 64x64. */
    public static final int TINY_IMAGENET_SIZE = 64;
    /** {@link #STORE}: decoded pixels at {@code image-size x image-size}. */
    public static final String STORE_PIXELS = "pixels";
    /** {@link #STORE}: the encoded image bytes, decoded and cropped by training. */
    public static final String STORE_ENCODED = "encoded";
    /** The values of {@link #STORE}. */
    public static final List<String> STORES = List.of(STORE_PIXELS, STORE_ENCODED);
    /** The formats that can keep encoded images ({@link #STORE} = encoded), and store them so by default. */
    public static final List<String> ENCODED_FORMATS = List.of("imagefolder", "imagenet");

    /** The values of {@link #RESIZE}. */
    public static final List<String> RESIZES = List.of("shorter-side-crop", "exact");
    /** The values of {@link #CORRUPT_IMAGES}. */
    public static final List<String> CORRUPT_POLICIES = List.of("fail", "skip");
    /** The values of {@link #SUBSET_ORDER}. */
    public static final List<String> SUBSET_ORDERS = List.of("first", "random");
    /** {@link #ROW_GROUP_MB}'s default (data-prep's {@code reference.conf}), for the constructors without it. */
    public static final double DEFAULT_ROW_GROUP_MB = 1.0;

    /** Settings that store decoded pixels (the store of every format before {@link #STORE} existed). */
    public PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite, int classes,
                           List<String> classNames, long seed, int subsetClasses, String subsetOrder,
                           double longTailRatio, double validationFraction, String openSet, int imageSize,
                           String resize, String corruptImages, URI valGroundTruth, URI synsets,
                           URI openSetUnknownInput, URI labels, double rowGroupMb) {
        this(format, input, output, shardSizeMb, overwrite, classes, classNames, seed, subsetClasses, subsetOrder,
                longTailRatio, validationFraction, openSet, imageSize, resize, corruptImages, valGroundTruth, synsets,
                openSetUnknownInput, labels, rowGroupMb, STORE_PIXELS);
    }

    /** Settings with the default row-group size. */
    public PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite, int classes,
                           List<String> classNames, long seed, int subsetClasses, String subsetOrder,
                           double longTailRatio, double validationFraction, String openSet, int imageSize,
                           String resize, String corruptImages, URI valGroundTruth, URI synsets,
                           URI openSetUnknownInput, URI labels) {
        this(format, input, output, shardSizeMb, overwrite, classes, classNames, seed, subsetClasses, subsetOrder,
                longTailRatio, validationFraction, openSet, imageSize, resize, corruptImages, valGroundTruth, synsets,
                openSetUnknownInput, labels, DEFAULT_ROW_GROUP_MB);
    }

    /** Settings without an npy labels file. */
    public PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite, int classes,
                           List<String> classNames, long seed, int subsetClasses, String subsetOrder,
                           double longTailRatio, double validationFraction, String openSet, int imageSize,
                           String resize, String corruptImages, URI valGroundTruth, URI synsets,
                           URI openSetUnknownInput) {
        this(format, input, output, shardSizeMb, overwrite, classes, classNames, seed, subsetClasses, subsetOrder,
                longTailRatio, validationFraction, openSet, imageSize, resize, corruptImages, valGroundTruth, synsets,
                openSetUnknownInput, null);
    }

    /** Settings without a second (CIFAR+N unknowns) input. */
    public PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite, int classes,
                           List<String> classNames, long seed, int subsetClasses, String subsetOrder,
                           double longTailRatio, double validationFraction, String openSet, int imageSize,
                           String resize, String corruptImages, URI valGroundTruth, URI synsets) {
        this(format, input, output, shardSizeMb, overwrite, classes, classNames, seed, subsetClasses, subsetOrder,
                longTailRatio, validationFraction, openSet, imageSize, resize, corruptImages, valGroundTruth, synsets,
                null);
    }

    /** Settings without transforms. */
    public PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite, int classes,
                           List<String> classNames) {
        this(format, input, output, shardSizeMb, overwrite, classes, classNames, 0, 0, "first", 1.0, 0.0, "", 0,
                "shorter-side-crop", "fail", null, null, null, null);
    }

    public PrepareSettings {
        input = input == null ? null : HadoopPaths.of(input).toUri();
        labels = labels == null ? null : HadoopPaths.of(labels).toUri();
        output = output == null ? null : HadoopPaths.of(output).toUri();
        if (!FORMATS.contains(format)) {
            throw new SettingsException(FORMAT, "must be one of " + FORMATS, format, null);
        }
        if (input == null) {
            throw required(INPUT, "--input");
        }
        if (output == null) {
            throw required(OUTPUT, "--output");
        }
        if (HadoopPaths.of(output).isRoot()) {
            throw new SettingsException(OUTPUT, "must not be a file system root", output.toString(),
                    "name a directory to create, such as " + output.resolve("prepared"));
        }
        if (output.equals(input)) {
            throw new SettingsException(OUTPUT, "must differ from " + INPUT, output.toString(),
                    "name a new directory for the prepared data set");
        }
        if (!(shardSizeMb > 0) || Double.isInfinite(shardSizeMb)) {
            throw new SettingsException(SHARD_SIZE_MB, "must be a positive finite number of MiB", shardSizeMb,
                    "the default is 64");
        }
        if (!(rowGroupMb > 0) || Double.isInfinite(rowGroupMb)) {
            throw new SettingsException(ROW_GROUP_MB, "must be a positive finite number of MiB", rowGroupMb,
                    "the default is " + DEFAULT_ROW_GROUP_MB);
        }
        if (rowGroupMb * 1024 * 1024 > Integer.MAX_VALUE) {
            throw new SettingsException(ROW_GROUP_MB, "must be below 2048 MiB (Parquet's row-group size is an int "
                    + "of bytes)", rowGroupMb, "the default is " + DEFAULT_ROW_GROUP_MB);
        }
        if (classes < 1 || classes > 256) {
            throw new SettingsException(CLASSES, "must lie in [1, 256] (IDX labels are unsigned bytes)", classes,
                    "MNIST and Fashion-MNIST have 10");
        }
        if (classNames == null || classNames.isEmpty()) {
            List<String> numbered = new ArrayList<>(classes);
            for (int i = 0; i < classes; i++) {
                numbered.add(Integer.toString(i));
            }
            classNames = List.copyOf(numbered);
        } else {
            classNames = List.copyOf(classNames);
            if (classNames.size() != classes) {
                throw new SettingsException(CLASS_NAMES, "must list exactly one name per class (" + CLASSES + " = "
                        + classes + ")", classNames,
                        "list " + classes + " names, or leave it empty for \"0\", \"1\", ...");
            }
            if (new HashSet<>(classNames).size() != classNames.size()) {
                throw new SettingsException(CLASS_NAMES, "must not repeat a name", classNames, null);
            }
        }
        if (subsetClasses < 0) {
            throw new SettingsException(SUBSET_CLASSES, "must be 0 (all classes) or positive", subsetClasses, null);
        }
        if (!SUBSET_ORDERS.contains(subsetOrder)) {
            throw new SettingsException(SUBSET_ORDER, "must be one of " + SUBSET_ORDERS, subsetOrder, null);
        }
        if (!(longTailRatio > 0 && longTailRatio <= 1)) {
            throw new SettingsException(LONG_TAIL_RATIO, "must lie in (0, 1]; 1 means no long tail", longTailRatio,
                    "DL2PA uses 0.005, 0.01 and 0.02");
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new SettingsException(VALIDATION_FRACTION, "must lie in [0, 1)", validationFraction,
                    "for example 0.1; 0 for no validation split");
        }
        openSet = openSet == null ? "" : openSet.trim();
        store = store == null || store.isBlank() ? defaultStore(format) : store.trim();
        if (!STORES.contains(store)) {
            throw new SettingsException(STORE, "must be one of " + STORES + " (or empty for the format's default)",
                    store, "encoded keeps the JPEG bytes (imagefolder, imagenet), pixels stores decoded crops");
        }
        boolean encoded = store.equals(STORE_ENCODED);
        if (encoded && !ENCODED_FORMATS.contains(format)) {
            throw new SettingsException(STORE, "can be " + STORE_ENCODED + " only for the formats " + ENCODED_FORMATS
                    + "; format " + format + " is stored as decoded pixels", store, "set " + STORE + " = "
                    + STORE_PIXELS + " or leave it empty");
        }
        if (encoded && imageSize < 0) {
            throw new SettingsException(IMAGE_SIZE, "must not be negative", imageSize, null);
        }
        if (encoded && !resize.equals("shorter-side-crop")) {
            throw new SettingsException(RESIZE, "must stay shorter-side-crop with " + STORE + " = encoded, which "
                    + "resizes the shorter side to image-size (when set) and keeps the whole image", resize,
                    "remove it, or set " + STORE + " = pixels");
        }
        if (IMAGE_FORMATS.contains(format) && imageSize < 1 && !encoded) {
            throw new SettingsException(IMAGE_SIZE, "must be positive for format " + format + " (images are "
                    + "resized to image-size x image-size) with " + STORE + " = pixels", imageSize,
                    "for example --image-size 224 (ImageNet) or 112, or " + STORE + " = encoded");
        }
        if (!RESIZING_FORMATS.contains(format) && imageSize != 0) {
            throw new SettingsException(IMAGE_SIZE, "must be 0 for format " + format + ", which keeps its native "
                    + "size; only " + RESIZING_FORMATS + " resize", imageSize, "leave it at 0");
        }
        if (imageSize < 0) {
            throw new SettingsException(IMAGE_SIZE, "must not be negative", imageSize, null);
        }
        if (!RESIZES.contains(resize)) {
            throw new SettingsException(RESIZE, "must be one of " + RESIZES, resize, null);
        }
        if (!CORRUPT_POLICIES.contains(corruptImages)) {
            throw new SettingsException(CORRUPT_IMAGES, "must be one of " + CORRUPT_POLICIES, corruptImages, null);
        }
        if ((valGroundTruth == null) != (synsets == null)) {
            throw new SettingsException(valGroundTruth == null ? VAL_GROUND_TRUTH : SYNSETS, "must be set together "
                    + "with " + (valGroundTruth == null ? SYNSETS : VAL_GROUND_TRUTH) + " (both label a flat ImageNet "
                    + "val/)", "", "set both, or neither when val/ has class folders");
        }
        if (PAIR_FORMATS.contains(format) && new io.protospark.data.transform.Transforms.Options(seed, subsetClasses,
                subsetOrder, longTailRatio, validationFraction, openSet).any()) {
            throw new SettingsException(PREFIX + "format", format + " yields verification pairs, to which no class "
                    + "subset, open-set split, long tail or validation split applies", format,
                    "leave subset.classes, open-set, long-tail-ratio and validation-fraction at their defaults");
        }
        boolean cifarPlus = openSet.startsWith("cifar+");
        if (cifarPlus && (openSetUnknownInput == null || !format.equals("cifar10"))) {
            throw new SettingsException(OPEN_SET, "CIFAR+N splits need --format cifar10 and "
                    + OPEN_SET_UNKNOWN_INPUT + " naming the cifar-100-binary folder of the unknown classes", openSet,
                    "set prepare.open-set-unknown-input=URI");
        }
        if (!cifarPlus && openSetUnknownInput != null) {
            throw new SettingsException(OPEN_SET_UNKNOWN_INPUT, "is used only with --open-set cifar+10:S or "
                    + "cifar+50:S", openSetUnknownInput.toString(), "clear it, or choose a CIFAR+N split");
        }
        if (labels != null && !format.equals("npy")) {
            throw new SettingsException(LABELS, "is used only with --format npy (a labels .npy for the images "
                    + ".npy)", labels.toString(), "clear it, or use --format npy");
        }
        if (!openSet.isEmpty() && subsetClasses > 0) {
            throw new SettingsException(SUBSET_CLASSES, "cannot be combined with " + OPEN_SET + " (" + openSet
                    + "), which chooses the classes itself", subsetClasses, "set it to 0");
        }
    }

    /** The transform options. */
    public io.protospark.data.transform.Transforms.Options transforms() {
        return new io.protospark.data.transform.Transforms.Options(seed, subsetClasses, subsetOrder, longTailRatio,
                validationFraction, openSet);
    }

    /** Reads and validates {@code protospark.prepare.*} from the full, merged config. */
    public static PrepareSettings from(Config config) {
        String format = Configs.oneOf(config, FORMAT, FORMATS);
        URI input = uri(config, INPUT, "--input");
        URI output = uri(config, OUTPUT, "--output");
        double shardSizeMb = Configs.positiveDouble(config, SHARD_SIZE_MB);
        boolean overwrite = Configs.getBoolean(config, OVERWRITE);
        int classes = Configs.positiveInt(config, CLASSES);
        List<String> classNames;
        try {
            classNames = config.getStringList(CLASS_NAMES);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(CLASS_NAMES, "must be a list of strings", config.getValue(CLASS_NAMES)
                    .unwrapped(), "for example [\"T-shirt\", \"Trouser\", ...], or [] for \"0\", \"1\", ...");
        } catch (ConfigException.Missing e) {
            throw new SettingsException(CLASS_NAMES, "is required but not set; data-prep's reference.conf declares "
                    + "it, so that file is missing from the class path");
        }
        return new PrepareSettings(format, input, output, shardSizeMb, overwrite, classes, classNames,
                Configs.getLong(config, SEED), Configs.nonNegativeInt(config, SUBSET_CLASSES),
                Configs.oneOf(config, SUBSET_ORDER, SUBSET_ORDERS), Configs.getDouble(config, LONG_TAIL_RATIO),
                Configs.getDouble(config, VALIDATION_FRACTION), Configs.getString(config, OPEN_SET),
                Configs.nonNegativeInt(config, IMAGE_SIZE), Configs.oneOf(config, RESIZE, RESIZES),
                Configs.oneOf(config, CORRUPT_IMAGES, CORRUPT_POLICIES), optionalUri(config, VAL_GROUND_TRUTH),
                optionalUri(config, SYNSETS), optionalUri(config, OPEN_SET_UNKNOWN_INPUT),
                optionalUri(config, LABELS), Configs.positiveDouble(config, ROW_GROUP_MB),
                Configs.getString(config, STORE));
    }

    /**
     * The store of {@code format} when {@link #STORE} is empty: {@code encoded} for {@link #ENCODED_FORMATS}
     * (training draws its own crops from the whole image), {@code pixels} for every other format.
     */
    public static String defaultStore(String format) {
        return ENCODED_FORMATS.contains(format) ? STORE_ENCODED : STORE_PIXELS;
    }

    /** Whether the shards keep encoded images ({@code ShardSchema.ENCODED_SCHEMA}). */
    public boolean encoded() {
        return STORE_ENCODED.equals(store);
    }

    /** Target shard size in bytes. */
    public long shardSizeBytes() {
        return Math.max(1L, (long) (shardSizeMb * 1024 * 1024));
    }

    /** Target row-group size in bytes (Parquet's {@code parquet.block.size}). */
    public long rowGroupBytes() {
        return Math.max(1L, (long) (rowGroupMb * 1024 * 1024));
    }

    private static URI optionalUri(Config config, String key) {
        String value = Configs.getString(config, key).trim();
        if (value.isEmpty()) {
            return null;
        }
        try {
            return new Path(value).toUri();
        } catch (IllegalArgumentException e) {
            throw new SettingsException(key, "must be a URI or path (" + e.getMessage() + ")", value, null);
        }
    }

    private static URI uri(Config config, String key, String flag) {
        String value = Configs.getString(config, key).trim();
        if (value.isEmpty()) {
            throw required(key, flag);
        }
        try {
            return new Path(value).toUri();
        } catch (IllegalArgumentException e) {
            throw new SettingsException(key, "must be a URI or path (" + e.getMessage() + ")", value,
                    "for example file:/data/fashion-mnist, hdfs:///data/fashion-mnist or s3a://bucket/fashion-mnist");
        }
    }

    private static SettingsException required(String key, String flag) {
        return new SettingsException(key, "is required but empty", "", "set it with " + flag + " URI (or "
                + key.substring("protospark.".length()) + "=URI)");
    }
}
