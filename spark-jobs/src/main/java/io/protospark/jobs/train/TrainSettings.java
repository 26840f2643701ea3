package io.protospark.jobs.train;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.jobs.examples.Erasing;
import io.protospark.model.net.LossKind;
import io.protospark.model.net.ModelSettings;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of the training job, read from {@code protospark.train.*}, {@code protospark.seed} and
 * {@code protospark.spark}, one nested record per section of the job's {@code reference.conf}. {@link #from} reads
 * and checks every key; {@link #validate} refuses settings the model cannot train with. Checks against the data
 * (splits, classes, image shape) run where the data is opened, in {@link TrainLoop}.
 *
 * @param seed      {@code protospark.seed}
 * @param sparkConf the {@code protospark.spark} entries, under Spark's names
 */
public record TrainSettings(
        URI data,
        URI runDir,
        int epochs,
        int batchSize,
        int averagingFrequency,
        int threadsPerWorker,
        int prefetch,
        int workers,
        long workerMemory,
        boolean shuffle,
        String trainSplit,
        String evalSplit,
        long maxTrainExamples,
        Optional<URI> initFrom,
        Augment augment,
        io.protospark.jobs.examples.ImagePipeline images,
        Mixup mixup,
        double labelSmoothing,
        Outliers outliers,
        long targetsInlineUpTo,
        Assignment assignment,
        Lifecycle lifecycle,
        Evaluations evaluations,
        long seed,
        Map<String, String> sparkConf,
        Master master) {

    /**
     * {@code protospark.train.master} and, for {@code sharing}, DL4J's SharedTrainingMaster settings
     * ({@code train.sharing.*}).
     *
     * @param sharing           {@code master = sharing}
     * @param threshold         {@code sharing.threshold}, the initial encoding threshold
     * @param adaptive          {@code sharing.threshold-algorithm = adaptive} (else fixed)
     * @param workersPerNode    {@code sharing.workers-per-node}
     * @param controllerAddress {@code sharing.controller-address}; empty = the driver's host
     * @param port              {@code sharing.port}, the driver's Aeron UDP port (executor N: port + 1 + N)
     * @param networkMask       {@code sharing.network-mask}; empty = executors announce 127.0.0.1
     */
    public record Master(boolean sharing, double threshold, boolean adaptive, int workersPerNode,
                         String controllerAddress, int port, String networkMask) {
        /** The reference.conf defaults: parameter averaging. */
        public static final Master AVERAGING = new Master(false, 1e-3, true, 1, "", 40123, "");

        public Master {
            Objects.requireNonNull(controllerAddress, "controllerAddress");
            Objects.requireNonNull(networkMask, "networkMask");
        }
    }

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

    /** {@code protospark.train.resume}: what {@code train} does with a run directory that already holds a run. */
    public enum ResumeMode {
        /** Continue an unfinished run with the same configuration; a completed run is a no-op. */
        AUTO,
        /** Refuse a run directory that holds a run. */
        NEVER,
        /** Fail unless there is a run to continue. */
        REQUIRE
    }

    /**
     * How a run is kept and continued: {@code checkpoint.*}, {@code resume}, {@code lock-timeout-seconds} and
     * {@code progress.every-seconds}.
     *
     * @param checkpointEvery a checkpoint after every N-th epoch and after the last (0 = none)
     * @param monitor         the metrics.jsonl key that ranks checkpoints for {@code keepBest}
     * @param larger          whether a larger monitored value is better ({@code checkpoint.mode = max})
     * @param rollback        {@code on-divergence = rollback}: back to the last checkpoint with a lower rate
     * @param lrFactor        {@code divergence.lr-factor}, in (0, 1)
     */
    public record Lifecycle(int checkpointEvery, int keepLast, int keepBest, String monitor, boolean larger,
                            ResumeMode resume, int lockTimeoutSeconds, int progressEverySeconds, boolean rollback,
                            double lrFactor, int maxRollbacks) {
        /** The monitored values {@code checkpoint.monitor} may name. */
        public static final java.util.List<String> MONITORS = java.util.List.of("val_accuracy", "val_loss",
                "train_loss");

        public Lifecycle {
            Objects.requireNonNull(monitor, "monitor");
            Objects.requireNonNull(resume, "resume");
        }

        /** The defaults of {@code reference.conf}. */
        public static Lifecycle defaults() {
            return new Lifecycle(1, 2, 1, "val_accuracy", true, ResumeMode.AUTO, 60, 60, false, 0.5, 3);
        }
    }

    /**
     * {@code eval.*}: evaluations on other data sets after every {@code every}-th epoch (and after the last), each
     * adding its metrics to {@code metrics.jsonl} as {@code <name>.<metric>} (see docs/evaluation.md), and
     * {@code batchSize}, the examples per minibatch of every inference pass of training (the per-epoch evaluation of
     * {@code eval-split}, the class-memory pass, these sets).
     */
    public record Evaluations(int every, java.util.List<Extra> sets, int batchSize) {
        /** The default of {@code eval.batch-size}. */
        public static final int DEFAULT_BATCH_SIZE = 256;

        public Evaluations {
            sets = java.util.List.copyOf(sets);
            if (batchSize < 1) {
                throw new IllegalArgumentException("eval batch size must be >= 1, got " + batchSize);
            }
        }

        public static Evaluations none() {
            return new Evaluations(1, java.util.List.of(), DEFAULT_BATCH_SIZE);
        }

        /** Whether the extra evaluations run after epoch {@code e} of {@code epochs}. */
        public boolean due(int e, int epochs) {
            return !sets.isEmpty() && every > 0 && (e % every == 0 || e == epochs);
        }
    }

    /**
     * One extra evaluation: its {@code name} (the prefix of its metrics), the data set ({@code data}; empty = the
     * training data) and {@code split} ("" = {@code eval-split}), and for open-set metrics the unknown examples
     * ({@code unknown-data}, {@code unknown-split}, as {@code evaluate}'s keys).
     */
    public record Extra(String name, Optional<URI> data, String split, Optional<URI> unknownData, String unknownSplit) {
    }

    /**
     * {@code augment.*}: random crop of the zero-padded image ({@code crop-padding} 0 = none), flip, and random erasing
     * ({@code erase.*}).
     */
    public record Augment(int cropPadding, boolean flip, Erasing erase) {
        public Augment(int cropPadding, boolean flip) {
            this(cropPadding, flip, Erasing.NONE);
        }
    }

    /** {@code mixup.*}: the Beta(alpha, alpha) of the mixing weight; 0 = off. */
    public record Mixup(double alpha) {
        /** Whether minibatches are mixed. */
        public boolean on() {
            return alpha > 0;
        }
    }

    /**
     * {@code outliers.*}: the outlier-exposure data set ({@code data}, empty = none), its split, and the outliers per
     * minibatch ({@code per-batch} 0 = the batch size).
     */
    public record Outliers(Optional<URI> data, String split, int perBatch) {
        public Outliers {
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(split, "split");
        }

        /** No outlier exposure. */
        public static Outliers none() {
            return new Outliers(Optional.empty(), "train", 0);
        }

        /** Whether a data set of outliers is given. */
        public boolean present() {
            return data.isPresent();
        }

        /** Outliers appended to each minibatch of {@code batchSize}: none without data, per-batch or the batch size. */
        public int inEachBatch(int batchSize) {
            return data.isEmpty() ? 0 : perBatch > 0 ? perBatch : batchSize;
        }
    }

    /**
     * {@code assignment.*}: which class owns which fixed prototype; every key but {@code mode} and
     * {@code dense-up-to} matters with {@code mode = dynamic} only.
     */
    public record Assignment(AssignmentMode mode, int every, int warmup, AssignmentStart initial,
                             AssignmentMemory memory, double momentum, int denseUpTo) {
        public Assignment {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(initial, "initial");
            Objects.requireNonNull(memory, "memory");
        }

        /** The defaults of {@code reference.conf}: static, every epoch, no warm-up, identity, batches, 0.9, 5000. */
        public static Assignment defaults() {
            return new Assignment(AssignmentMode.STATIC, 1, 0, AssignmentStart.IDENTITY, AssignmentMemory.BATCHES,
                    0.9, 5000);
        }

        /** Whether the assignment is re-solved during training. */
        public boolean dynamic() {
            return mode == AssignmentMode.DYNAMIC;
        }
    }

    private static final String P = "protospark.train.";

    public TrainSettings {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(trainSplit, "trainSplit");
        Objects.requireNonNull(evalSplit, "evalSplit");
        Objects.requireNonNull(initFrom, "initFrom");
        Objects.requireNonNull(augment, "augment");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(mixup, "mixup");
        Objects.requireNonNull(outliers, "outliers");
        Objects.requireNonNull(assignment, "assignment");
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(evaluations, "evaluations");
        sparkConf = Map.copyOf(sparkConf);
        Objects.requireNonNull(master, "master");
    }

    /** Reads and checks every key of the training section of a merged config. */
    public static TrainSettings from(Config c) {
        URI data = uri(c, P + "data", "--data URI");
        URI runDir = uri(c, P + "run-dir", "--run-dir URI");
        Map<String, String> spark = sparkConfOf(c);
        int epochs = Configs.positiveInt(c, P + "epochs");
        int batchSize = Configs.positiveInt(c, P + "batch-size");
        int averagingFrequency = Configs.positiveInt(c, P + "averaging-frequency");
        int prefetch = Configs.nonNegativeInt(c, P + "prefetch");
        int workers = Configs.nonNegativeInt(c, P + "workers");
        long workerMemory = workerMemory(c);
        boolean shuffle = Configs.getBoolean(c, P + "shuffle");
        long maxTrainExamples = nonNegativeLong(c, P + "max-train-examples");
        long seed = Configs.getLong(c, "protospark.seed");
        AssignmentMode mode = Configs.enumValue(c, P + "assignment.mode", AssignmentMode.class);
        int every = Configs.positiveInt(c, P + "assignment.every");
        int warmup = Configs.nonNegativeInt(c, P + "assignment.warmup");
        double momentum = Configs.doubleInRange(c, P + "assignment.momentum", 0.0, 0.999);
        Optional<URI> initFrom = optionalUri(c, P + "init-from");
        String trainSplit = nonEmpty(c, P + "train-split");
        String evalSplit = nonEmpty(c, P + "eval-split");
        int denseUpTo = Configs.positiveInt(c, P + "assignment.dense-up-to");
        Augment augment = new Augment(Configs.nonNegativeInt(c, P + "augment.crop-padding"),
                Configs.getBoolean(c, P + "augment.flip"), erasing(c));
        Mixup mixup = new Mixup(Configs.doubleInRange(c, P + "mixup.alpha", 0.0, 1e6));
        double labelSmoothing = labelSmoothing(c);
        Optional<URI> outliersData = optionalUri(c, P + "outliers.data");
        String outliersSplit = nonEmpty(c, P + "outliers.split");
        int outliersPerBatch = Configs.nonNegativeInt(c, P + "outliers.per-batch");
        int threadsPerWorker = Configs.nonNegativeInt(c, P + "threads-per-worker");
        io.protospark.jobs.spark.Gpus.perWorker(c); // checked here too; applied when the job is submitted (spark-conf)
        long targetsInlineUpTo = nonNegativeLong(c, P + "targets-inline-up-to",
                "use 0 to send every target matrix by reference");
        AssignmentStart initial = Configs.enumValue(c, P + "assignment.initial", AssignmentStart.class);
        AssignmentMemory memory = Configs.enumValue(c, P + "assignment.memory", AssignmentMemory.class);
        int keepLast = Configs.positiveInt(c, P + "checkpoint.keep-last");
        Evaluations evaluations = evaluations(c);
        Lifecycle lifecycle = new Lifecycle(Configs.nonNegativeInt(c, P + "checkpoint.every"), keepLast,
                Configs.nonNegativeInt(c, P + "checkpoint.keep-best"), monitor(c, evaluations),
                "max".equals(Configs.oneOf(c, P + "checkpoint.mode", java.util.List.of("max", "min"))),
                Configs.enumValue(c, P + "resume", ResumeMode.class),
                Configs.positiveInt(c, P + "lock-timeout-seconds"),
                Configs.nonNegativeInt(c, P + "progress.every-seconds"),
                "rollback".equals(Configs.oneOf(c, P + "on-divergence", java.util.List.of("stop", "rollback"))),
                lrFactor(c), Configs.positiveInt(c, P + "divergence.max-rollbacks"));
        Master master = master(c);
        return builder()
                .data(data).runDir(runDir)
                .epochs(epochs).batchSize(batchSize).averagingFrequency(averagingFrequency)
                .threadsPerWorker(threadsPerWorker).prefetch(prefetch).workers(workers).workerMemory(workerMemory)
                .shuffle(shuffle)
                .trainSplit(trainSplit).evalSplit(evalSplit).maxTrainExamples(maxTrainExamples).initFrom(initFrom)
                .augment(augment).images(images(c)).mixup(mixup).labelSmoothing(labelSmoothing)
                .outliers(new Outliers(outliersData, outliersSplit, outliersPerBatch))
                .targetsInlineUpTo(targetsInlineUpTo)
                .assignment(new Assignment(mode, every, warmup, initial, memory, momentum, denseUpTo))
                .lifecycle(lifecycle).evaluations(evaluations)
                .seed(seed).sparkConf(spark).master(master)
                .build();
    }

    /** Outlier-exposure examples appended to each minibatch: per-batch, or the batch size when that is 0. */
    public int outliersInEachBatch() {
        return outliers.inEachBatch(batchSize);
    }

    /**
     * Refuses training settings the model cannot train with, in this order: dynamic assignment re-assigns fixed
     * prototypes, so it needs a fixed head; mixup, label smoothing and outliers change the label rows, and each is
     * refused where the loss cannot use it. The checks against the data set run where it is opened
     * ({@link TrainLoop#run}).
     */
    public void validate(ModelSettings m) {
        if (master.sharing() && assignment.dynamic()) {
            throw new SettingsException("protospark.train.master", "gradient sharing keeps each executor's network "
                    + "between epochs, so a re-assigned head would not reach the workers; dynamic assignment needs "
                    + "the driver's network broadcast every round", "sharing",
                    "master = averaging, or train.assignment.mode = static");
        }
        if (master.sharing() && lifecycle.rollback()) {
            throw new SettingsException("protospark.train.on-divergence", "a rollback restores the driver's network, "
                    + "but with master = sharing the executors keep training their own copies", "rollback",
                    "on-divergence = stop, or master = averaging");
        }
        if (assignment.dynamic() && !m.head().fixed()) {
            throw new SettingsException("protospark.train.assignment.mode",
                    "dynamic assignment re-assigns fixed prototypes; the head is learned", "dynamic",
                    "use model.head.kind = fixed or assignment.mode = static");
        }
        LossKind lossKind = m.head().loss();
        String loss = Configs.configName(lossKind);
        if (mixup.on() && !lossKind.acceptsSoftLabels()) {
            throw new SettingsException("protospark.train.mixup.alpha", "mixes label rows, which the " + loss
                    + " loss does not accept", mixup.alpha(),
                    "0, or model.head.loss = cross-entropy or long-tail-dot-regression");
        }
        if (labelSmoothing > 0 && lossKind != LossKind.CROSS_ENTROPY) {
            throw new SettingsException("protospark.train.label-smoothing", "smooths the targets of the "
                    + "cross-entropy loss; the loss is " + loss, labelSmoothing,
                    "0, or model.head.loss = cross-entropy");
        }
        if (outliers.present() && lossKind != LossKind.NIRVANA_OPEN_SET) {
            throw new SettingsException("protospark.train.outliers.data", "outlier exposure feeds the open-set loss; "
                    + "the loss is " + loss, outliers.data().get().toString(),
                    "\"\" (none), or model.head.loss = nirvana-open-set");
        }
    }

    /**
     * A builder with the {@code reference.conf} defaults of every key but {@code data} and {@code run-dir}, which
     * must be set; the seed is 42 and there are no Spark settings.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some components of a copy. */
    public Builder toBuilder() {
        return new Builder().data(data).runDir(runDir).epochs(epochs).batchSize(batchSize)
                .averagingFrequency(averagingFrequency).threadsPerWorker(threadsPerWorker).prefetch(prefetch)
                .workers(workers).workerMemory(workerMemory).shuffle(shuffle).trainSplit(trainSplit).evalSplit(evalSplit)
                .maxTrainExamples(maxTrainExamples).initFrom(initFrom).augment(augment).images(images).mixup(mixup)
                .labelSmoothing(labelSmoothing).outliers(outliers).targetsInlineUpTo(targetsInlineUpTo)
                .assignment(assignment).lifecycle(lifecycle).evaluations(evaluations).seed(seed)
                .sparkConf(sparkConf).master(master);
    }

    /** Builds {@link TrainSettings} component by component. */
    public static final class Builder {
        private URI data;
        private URI runDir;
        private int epochs = 4;
        private int batchSize = 64;
        private int averagingFrequency = 10;
        private Master master = Master.AVERAGING;
        private int threadsPerWorker;
        private int prefetch = 2;
        private int workers;
        private long workerMemory;
        private boolean shuffle = true;
        private String trainSplit = "train";
        private String evalSplit = "test";
        private long maxTrainExamples;
        private Optional<URI> initFrom = Optional.empty();
        private Augment augment = new Augment(0, false);
        private io.protospark.jobs.examples.ImagePipeline images = DEFAULT_IMAGES;
        private Mixup mixup = new Mixup(0);
        private double labelSmoothing;
        private Outliers outliers = Outliers.none();
        private long targetsInlineUpTo = 65536;
        private Assignment assignment = Assignment.defaults();
        private Lifecycle lifecycle = Lifecycle.defaults();
        private Evaluations evaluations = Evaluations.none();
        private long seed = 42;
        private Map<String, String> sparkConf = Map.of();

        private Builder() {
        }

        public Builder data(URI data) {
            this.data = data;
            return this;
        }

        public Builder runDir(URI runDir) {
            this.runDir = runDir;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder averagingFrequency(int averagingFrequency) {
            this.averagingFrequency = averagingFrequency;
            return this;
        }

        public Builder threadsPerWorker(int threadsPerWorker) {
            this.threadsPerWorker = threadsPerWorker;
            return this;
        }

        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder workerMemory(long workerMemory) {
            this.workerMemory = workerMemory;
            return this;
        }

        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        public Builder trainSplit(String trainSplit) {
            this.trainSplit = trainSplit;
            return this;
        }

        public Builder evalSplit(String evalSplit) {
            this.evalSplit = evalSplit;
            return this;
        }

        public Builder maxTrainExamples(long maxTrainExamples) {
            this.maxTrainExamples = maxTrainExamples;
            return this;
        }

        public Builder initFrom(Optional<URI> initFrom) {
            this.initFrom = initFrom;
            return this;
        }

        public Builder images(io.protospark.jobs.examples.ImagePipeline images) {
            this.images = images;
            return this;
        }

        public Builder augment(Augment augment) {
            this.augment = augment;
            return this;
        }

        public Builder mixup(Mixup mixup) {
            this.mixup = mixup;
            return this;
        }

        public Builder labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        public Builder outliers(Outliers outliers) {
            this.outliers = outliers;
            return this;
        }

        public Builder targetsInlineUpTo(long targetsInlineUpTo) {
            this.targetsInlineUpTo = targetsInlineUpTo;
            return this;
        }

        public Builder assignment(Assignment assignment) {
            this.assignment = assignment;
            return this;
        }

        public Builder evaluations(Evaluations evaluations) {
            this.evaluations = evaluations;
            return this;
        }

        public Builder lifecycle(Lifecycle lifecycle) {
            this.lifecycle = lifecycle;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder sparkConf(Map<String, String> sparkConf) {
            this.sparkConf = sparkConf;
            return this;
        }

        public Builder master(Master master) {
            this.master = master;
            return this;
        }

        public TrainSettings build() {
            return new TrainSettings(data, runDir, epochs, batchSize, averagingFrequency, threadsPerWorker, prefetch,
                    workers, workerMemory, shuffle, trainSplit, evalSplit, maxTrainExamples, initFrom, augment, images,
                    mixup, labelSmoothing, outliers, targetsInlineUpTo, assignment, lifecycle, evaluations, seed,
                    sparkConf, master);
        }
    }

    private static Master master(Config c) {
        boolean sharing = "sharing".equals(Configs.oneOf(c, P + "master", java.util.List.of("averaging", "sharing")));
        String S = P + "sharing.";
        double threshold = Configs.positiveDouble(c, S + "threshold");
        boolean adaptive = "adaptive".equals(Configs.oneOf(c, S + "threshold-algorithm",
                java.util.List.of("adaptive", "fixed")));
        int workersPerNode = Configs.positiveInt(c, S + "workers-per-node");
        String controller = Configs.getString(c, S + "controller-address").trim();
        int port = Configs.positiveInt(c, S + "port");
        if (port > 65535 - 256) {
            throw new SettingsException(S + "port", "the driver's UDP port, with the executors' ports above it, must "
                    + "fit below 65536", port, "a port from 1024 to 65279, e.g. 40123");
        }
        String mask = Configs.getString(c, S + "network-mask").trim();
        if (!mask.isEmpty() && !mask.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
            throw new SettingsException(S + "network-mask", "an IPv4 subnet in CIDR form", mask,
                    "e.g. 10.0.0.0/16, or \"\" when every executor runs on the driver's host");
        }
        return new Master(sharing, threshold, adaptive, workersPerNode, controller, port, mask);
    }

    private static double lrFactor(Config c) {
        double v = Configs.doubleInRange(c, P + "divergence.lr-factor", 0.0, 1.0);
        if (v <= 0 || v >= 1) {
            throw new SettingsException(P + "divergence.lr-factor", "must lie strictly between 0 and 1", v,
                    "0.5 halves the learning rate at each rollback");
        }
        return v;
    }

    /** {@code images.*} as reference.conf sets them: torchvision's crop, eval resize 256, 2 threads, 4 minibatches. */
    public static final io.protospark.jobs.examples.ImagePipeline DEFAULT_IMAGES =
            new io.protospark.jobs.examples.ImagePipeline(io.protospark.jobs.examples.RandomResizedCrop.DEFAULT, 256, 2,
                    4);

    /**
     * {@code images.*}, for data sets of encoded images: the random resized crop ({@code random-resized-crop}, its
     * {@code scale} within (0, 1] and {@code ratio} within (0, inf)), {@code eval-resize} >= 1, {@code decode-threads}
     * >= 0 and {@code decode-queue} >= 1.
     */
    private static io.protospark.jobs.examples.ImagePipeline images(Config c) {
        double[] scale = pair(c, P + "images.scale", 1.0, "[0.08, 1.0], torchvision's default");
        double[] ratio = pair(c, P + "images.ratio", Double.MAX_VALUE, "[0.75, 1.3333333], torchvision's default");
        io.protospark.jobs.examples.RandomResizedCrop crop = Configs.getBoolean(c, P + "images.random-resized-crop")
                ? new io.protospark.jobs.examples.RandomResizedCrop(scale[0], scale[1], ratio[0], ratio[1]) : null;
        return new io.protospark.jobs.examples.ImagePipeline(crop, Configs.positiveInt(c, P + "images.eval-resize"),
                Configs.nonNegativeInt(c, P + "images.decode-threads"),
                Configs.positiveInt(c, P + "images.decode-queue"));
    }

    /** {@code augment.erase.*}: probability in [0, 1], scale [lo, hi] within (0, 1], ratio [lo, hi] within (0, inf). */
    private static Erasing erasing(Config c) {
        double probability = Configs.doubleInRange(c, P + "augment.erase.probability", 0.0, 1.0);
        double[] scale = pair(c, P + "augment.erase.scale", 1.0, "[0.02, 0.33], torchvision's default");
        double[] ratio = pair(c, P + "augment.erase.ratio", Double.MAX_VALUE, "[0.3, 3.3], torchvision's default");
        return new Erasing(probability, scale[0], scale[1], ratio[0], ratio[1]);
    }

    /** A {@code [lo, hi]} list with {@code 0 < lo <= hi <= max}. */
    private static double[] pair(Config c, String path, double max, String example) {
        java.util.List<Double> v;
        try {
            v = c.getDoubleList(path);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new SettingsException(path, "must be a list of two numbers [lo, hi]", c.getValue(path).unwrapped(),
                    example);
        }
        if (v.size() != 2 || !(v.get(0) > 0 && v.get(0) <= v.get(1) && v.get(1) <= max)) {
            throw new SettingsException(path, "must be [lo, hi] with 0 < lo <= hi"
                    + (max < Double.MAX_VALUE ? " <= " + max : ""), v, example);
        }
        return new double[]{v.get(0), v.get(1)};
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

    /** {@code train.worker-memory}: a size with a unit (12G, 800M) or 0 for not declared. */
    private static long workerMemory(Config c) {
        String path = P + "worker-memory";
        long bytes;
        try {
            bytes = c.getBytes(path);
        } catch (com.typesafe.config.ConfigException e) {
            throw new SettingsException(path, "must be a size such as 12G or 800M, or 0",
                    String.valueOf(c.getValue(path).unwrapped()), e.getMessage());
        }
        if (bytes < 0) {
            throw new SettingsException(path, "must be >= 0", bytes, "use 0 when the memory is not known");
        }
        return bytes;
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

    private static Evaluations evaluations(Config c) {
        int every = Configs.nonNegativeInt(c, P + "eval.every");
        int batchSize = Configs.positiveInt(c, P + "eval.batch-size");
        java.util.List<Extra> sets = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.List<? extends Config> list;
        try {
            list = c.getConfigList(P + "eval.sets");
        } catch (com.typesafe.config.ConfigException e) {
            throw new SettingsException(P + "eval.sets", "must be a list of objects {name, data, split, unknown-data, "
                    + "unknown-split}", String.valueOf(c.getValue(P + "eval.sets").unwrapped()), e.getMessage());
        }
        for (int i = 0; i < list.size(); i++) {
            Config e = list.get(i);
            String where = P + "eval.sets[" + i + "]";
            for (String key : e.root().keySet()) {
                if (!java.util.List.of("name", "data", "split", "unknown-data", "unknown-split").contains(key)) {
                    throw new SettingsException(where + "." + key, "is not a key of an evaluation set", key,
                            "its keys are name, data, split, unknown-data, unknown-split");
                }
            }
            String name = e.hasPath("name") ? e.getString("name") : "";
            if (!name.matches("[A-Za-z0-9_-]+")) {
                throw new SettingsException(where + ".name", "must be a name of letters, digits, '_' or '-' (the "
                        + "prefix of its metrics)", name, "e.g. name = lfw");
            }
            if (!names.add(name) || MONITORS_OF_THE_LOOP.contains(name)) {
                throw new SettingsException(where + ".name", "must be unique", name, "another set has it");
            }
            if (name.equals("verification")) {
                throw new SettingsException(where + ".name", "is reserved for the mean over the verification sets ("
                        + ExtraEvaluation.MEAN_VERIFICATION_ACCURACY + ")", name, "another name, e.g. lfw");
            }
            String data = e.hasPath("data") ? e.getString("data") : "";
            String unknown = e.hasPath("unknown-data") ? e.getString("unknown-data") : "";
            sets.add(new Extra(name, data.isBlank() ? Optional.empty() : Optional.of(toUri(where + ".data", data)),
                    e.hasPath("split") ? e.getString("split") : "",
                    unknown.isBlank() ? Optional.empty() : Optional.of(toUri(where + ".unknown-data", unknown)),
                    e.hasPath("unknown-split") ? e.getString("unknown-split") : ""));
        }
        return new Evaluations(every, sets, batchSize);
    }

    private static final java.util.List<String> MONITORS_OF_THE_LOOP = Lifecycle.MONITORS;

    /**
     * {@code checkpoint.monitor}: a value of the loop, {@code <set>.<metric>} of an evaluation set, or the mean accuracy
     * of the verification sets.
     */
    private static String monitor(Config c, Evaluations evaluations) {
        String monitor = Configs.getString(c, P + "checkpoint.monitor");
        if (Lifecycle.MONITORS.contains(monitor)) {
            return monitor;
        }
        int dot = monitor.indexOf('.');
        java.util.List<String> names = evaluations.sets().stream().map(Extra::name).toList();
        if (dot > 0 && dot < monitor.length() - 1 && names.contains(monitor.substring(0, dot))) {
            return monitor;
        }
        if (monitor.equals(ExtraEvaluation.MEAN_VERIFICATION_ACCURACY) && !names.isEmpty()) {
            return monitor; // whether a set is verification pairs is known once its data is opened (Epochs checks)
        }
        throw new SettingsException(P + "checkpoint.monitor", "must be one of " + Lifecycle.MONITORS
                + " or <set>.<metric> of an evaluation set in train.eval.sets", monitor,
                names.isEmpty() ? "no evaluation set is configured" : "the sets are " + names);
    }

    private static String nonEmpty(Config c, String path) {
        String v = Configs.getString(c, path).trim();
        if (v.isEmpty()) {
            throw new SettingsException(path, "must name a split of the prepared data set", v,
                    "for example \"train\", \"test\" or \"validation\"");
        }
        return v;
    }

    private static Optional<URI> optionalUri(Config c, String path) {
        String v = Configs.getString(c, path).trim();
        return v.isEmpty() ? Optional.empty() : Optional.of(toUri(path, v));
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
