package io.protospark.jobs.train;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.net.HeadKind;
import io.protospark.model.net.LossKind;
import io.protospark.model.net.ModelSettings;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Validated settings of the training job, read from {@code protospark.train.*} and {@code protospark.spark}. */
public record TrainSettings(
        URI data,
        URI runDir,
        int epochs,
        int batchSize,
        int averagingFrequency,
        int prefetch,
        int workers,
        boolean shuffle,
        long maxTrainExamples,
        long seed,
        Map<String, String> sparkConf,
        AssignmentMode assignmentMode,
        int assignEvery,
        int assignWarmup,
        double assignMomentum,
        java.util.Optional<URI> initFrom,
        String trainSplit,
        String evalSplit,
        int assignDenseUpTo,
        int cropPadding,
        boolean flip,
        double mixupAlpha,
        double labelSmoothing,
        java.util.Optional<URI> outliers,
        String outliersSplit,
        int outliersPerBatch,
        int threadsPerWorker,
        long targetsInlineUpTo,
        AssignmentStart assignInitial,
        AssignmentMemory assignMemory) {

    /** {@code protospark.train.assignment.mode}. */
    public enum AssignmentMode {
        STATIC,
        DYNAMIC
    }

    /** {@code protospark.train.assignment.initial}: the assignment before the first re-solve. */
    public enum AssignmentStart {
        IDENTITY,
        RANDOM
    }

    /** {@code protospark.train.assignment.memory}: where the class memory comes from. */
    public enum AssignmentMemory {
        /** A moving average over the training minibatches, folded in on the workers (DL2PA's). */
        BATCHES,
        /** A pass over the training split before each re-solve (inference mode), folded in once per re-solve. */
        EPOCH_PASS
    }

    private static final String P = "protospark.train.";

    public TrainSettings {
        sparkConf = Map.copyOf(sparkConf);
    }

    public static TrainSettings from(Config c) {
        URI data = uri(c, P + "data", "--data URI");
        URI runDir = uri(c, P + "run-dir", "--run-dir URI");
        Map<String, String> spark = sparkConfOf(c);
        return new TrainSettings(data, runDir,
                Configs.positiveInt(c, P + "epochs"),
                Configs.positiveInt(c, P + "batch-size"),
                Configs.positiveInt(c, P + "averaging-frequency"),
                Configs.nonNegativeInt(c, P + "prefetch"),
                Configs.nonNegativeInt(c, P + "workers"),
                Configs.getBoolean(c, P + "shuffle"),
                nonNegativeLong(c, P + "max-train-examples"),
                Configs.getLong(c, "protospark.seed"),
                spark,
                Configs.enumValue(c, P + "assignment.mode", AssignmentMode.class),
                Configs.positiveInt(c, P + "assignment.every"),
                Configs.nonNegativeInt(c, P + "assignment.warmup"),
                Configs.doubleInRange(c, P + "assignment.momentum", 0.0, 0.999),
                optionalUri(c, P + "init-from"),
                nonEmpty(c, P + "train-split"),
                nonEmpty(c, P + "eval-split"),
                Configs.positiveInt(c, P + "assignment.dense-up-to"),
                Configs.nonNegativeInt(c, P + "augment.crop-padding"),
                Configs.getBoolean(c, P + "augment.flip"),
                Configs.doubleInRange(c, P + "mixup.alpha", 0.0, 1e6),
                labelSmoothing(c),
                optionalUri(c, P + "outliers.data"),
                nonEmpty(c, P + "outliers.split"),
                Configs.nonNegativeInt(c, P + "outliers.per-batch"),
                Configs.nonNegativeInt(c, P + "threads-per-worker"),
                nonNegativeLong(c, P + "targets-inline-up-to", "use 0 to send every target matrix by reference"),
                Configs.enumValue(c, P + "assignment.initial", AssignmentStart.class),
                Configs.enumValue(c, P + "assignment.memory", AssignmentMemory.class));
    }

    /** Outlier-exposure examples appended to each minibatch: per-batch, or the batch size when that is 0. */
    public int outliersInEachBatch() {
        return outliers.isEmpty() ? 0 : outliersPerBatch > 0 ? outliersPerBatch : batchSize;
    }

    /**
     * Refuses training settings the model cannot train with: dynamic assignment re-assigns fixed prototypes, so it
     * needs a fixed head; mixup, label smoothing and outliers change the label rows, and each is refused where the
     * loss cannot use it.
     */
    public void checkFits(ModelSettings m) {
        if (assignmentMode == AssignmentMode.DYNAMIC && m.head() != HeadKind.FIXED) {
            throw new SettingsException("protospark.train.assignment.mode",
                    "dynamic assignment re-assigns fixed prototypes; the head is learned", "dynamic",
                    "use model.head.kind = fixed or assignment.mode = static");
        }
        String loss = Configs.configName(m.loss());
        if (mixupAlpha > 0 && !m.loss().acceptsSoftLabels()) {
            throw new SettingsException("protospark.train.mixup.alpha", "mixes label rows, which the " + loss
                    + " loss does not accept", mixupAlpha,
                    "0, or model.head.loss = cross-entropy or long-tail-dot-regression");
        }
        if (labelSmoothing > 0 && m.loss() != LossKind.CROSS_ENTROPY) {
            throw new SettingsException("protospark.train.label-smoothing", "smooths the targets of the "
                    + "cross-entropy loss; the loss is " + loss, labelSmoothing,
                    "0, or model.head.loss = cross-entropy");
        }
        if (outliers.isPresent() && m.loss() != LossKind.NIRVANA_OPEN_SET) {
            throw new SettingsException("protospark.train.outliers.data", "outlier exposure feeds the open-set loss; "
                    + "the loss is " + loss, outliers.get().toString(),
                    "\"\" (none), or model.head.loss = nirvana-open-set");
        }
    }

    private static double labelSmoothing(Config c) {
        double v = Configs.doubleInRange(c, P + "label-smoothing", 0.0, 1.0);
        if (v >= 1.0) {
            throw new SettingsException(P + "label-smoothing", "must be below 1 (1 would erase the labels)", v,
                    "a small value such as 0.1, or 0 for none");
        }
        return v;
    }

    /** The {@code protospark.spark} entries as Spark settings. */
    public static Map<String, String> sparkConfOf(Config c) {
        Map<String, String> spark = new LinkedHashMap<>();
        if (c.hasPath("protospark.spark")) {
            c.getConfig("protospark.spark").entrySet()
                    // a quoted key ("spark.executor.memory" = 2g) is one path element holding the dots: unquote it
                    .forEach(e -> spark.put(String.join(".", com.typesafe.config.ConfigUtil.splitPath(e.getKey())),
                            String.valueOf(e.getValue().unwrapped())));
        }
        return spark;
    }

    private static long nonNegativeLong(Config c, String path) {
        return nonNegativeLong(c, path, "use 0 for all examples");
    }

    private static long nonNegativeLong(Config c, String path, String hint) {
        long v = Configs.getLong(c, path);
        if (v < 0) {
            throw new SettingsException(path, "must be >= 0", v, hint);
        }
        return v;
    }

    private static String nonEmpty(Config c, String path) {
        String v = Configs.getString(c, path).trim();
        if (v.isEmpty()) {
            throw new SettingsException(path, "must name a split of the prepared data set", v,
                    "for example \"train\", \"test\" or \"validation\"");
        }
        return v;
    }

    private static java.util.Optional<URI> optionalUri(Config c, String path) {
        String v = Configs.getString(c, path).trim();
        return v.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(toUri(path, v));
    }

    /** A required Hadoop FS location; a bare path means the local file system. */
    static URI uri(Config c, String path, String flag) {
        String v = Configs.getString(c, path).trim();
        if (v.isEmpty()) {
            throw new SettingsException(path, "is required", "", "give it with " + flag
                    + " or " + path.replaceFirst("^protospark\\.", "") + "=URI");
        }
        return toUri(path, v);
    }

    public static URI toUri(String key, String v) {
        try {
            URI u = new URI(v);
            if (u.getScheme() == null) {
                return new java.io.File(v).getAbsoluteFile().toURI();
            }
            return u;
        } catch (URISyntaxException e) {
            if (!v.contains(":")) {
                return new java.io.File(v).getAbsoluteFile().toURI();
            }
            throw new SettingsException(key, "must be a URI (file:, hdfs:, s3a:) or a local path", v, e.getReason());
        }
    }
}
