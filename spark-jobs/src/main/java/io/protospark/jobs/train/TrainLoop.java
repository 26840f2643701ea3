package io.protospark.jobs.train;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.shard.Manifest;
import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.spark.SparkCandidates;
import io.protospark.model.assign.AssignmentStep;
import io.protospark.model.assign.ClassMemory;
import io.protospark.model.head.Decision;
import io.protospark.model.io.Npy;
import io.protospark.model.net.FixedHead;
import io.protospark.model.net.IterationSchedule;
import io.protospark.model.net.LearningRateSchedule;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.NetworkSummary;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.PrototypeSet;
import io.protospark.model.prototype.Prototypes;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import scala.Tuple2;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The one training loop of protospark (the {@code train} command runs it).
 *
 * <p>Builds the network on the driver (with a fixed prototype head or a learned softmax head), then for each
 * epoch reshuffles and re-batches the Parquet examples on the executors, trains with DL4J Spark's parameter
 * averaging (updater state kept across rounds), writes the driver's prototype matrix back into the averaged
 * network (the driver owns the prototypes), evaluates on the evaluation split (train.eval-split) and appends a line to
 * {@code metrics.jsonl}. Every file of the run directory is published atomically.
 */
public final class TrainLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);
    private static final Logger PROGRESS = LoggerFactory.getLogger("io.protospark.progress");

    /** Run-directory file names. */
    public static final String METRICS = "metrics.jsonl";
    public static final String PROTOTYPES = "prototypes.npy";
    public static final String ASSIGNMENT = "assignment.npy";
    public static final String MODEL = "model.zip";
    public static final String RESOLVED = "resolved.conf";
    public static final String PROVENANCE = "provenance.json";

    private TrainLoop() {
    }

    /** One epoch's measurements (one line of {@code metrics.jsonl}). */
    public record EpochMetrics(int epoch, double learningRate, Double learningRateLast, double trainLoss,
                               double valLoss, double valAccuracy, double seconds,
                               long trainExamples, double examplesPerSecond, double prototypeDrift,
                               Integer assignmentChanged, Double assignmentMeanCosine, Map<String, Double> extra,
                               Map<String, Object> rounds) {
        public EpochMetrics {
            extra = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
            rounds = rounds == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rounds));
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", epoch);
            m.put("learning_rate", learningRate);
            if (learningRateLast != null) {
                m.put("learning_rate_last", learningRateLast);
            }
            m.put("train_loss", trainLoss);
            m.put("val_loss", valLoss);
            m.put("val_accuracy", valAccuracy);
            m.put("seconds", seconds);
            m.put("train_examples", trainExamples);
            m.put("train_examples_per_second", examplesPerSecond);
            m.put("prototype_drift", prototypeDrift);
            if (assignmentChanged != null) {
                m.put("assignment_changed", assignmentChanged);
                m.put("assignment_mean_cosine", assignmentMeanCosine);
            }
            extra.forEach((k, v) -> m.put(k, Double.isFinite(v) ? v : null));
            if (rounds != null) {
                m.put("rounds", rounds);
            }
            return m;
        }

        /** A line of {@value #METRICS} read back. */
        static EpochMetrics of(com.fasterxml.jackson.databind.JsonNode j) {
            java.util.function.Function<String, Double> num = k -> j.has(k) && !j.get(k).isNull()
                    ? j.get(k).asDouble() : Double.NaN;
            return new EpochMetrics(j.get("epoch").asInt(), num.apply("learning_rate"),
                    j.has("learning_rate_last") ? num.apply("learning_rate_last") : null, num.apply("train_loss"),
                    num.apply("val_loss"), num.apply("val_accuracy"), num.apply("seconds"),
                    j.get("train_examples").asLong(), num.apply("train_examples_per_second"),
                    num.apply("prototype_drift"),
                    j.has("assignment_changed") ? j.get("assignment_changed").asInt() : null,
                    j.has("assignment_mean_cosine") ? num.apply("assignment_mean_cosine") : null, extra(j, num),
                    j.has("rounds") ? Json.MAPPER.convertValue(j.get("rounds"),
                            new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }) : null);
        }

        /** The evaluation sets' values: every key with a '.' ({@code <set>.<metric>}). */
        private static Map<String, Double> extra(com.fasterxml.jackson.databind.JsonNode j,
                                                 java.util.function.Function<String, Double> num) {
            Map<String, Double> out = new LinkedHashMap<>();
            j.fieldNames().forEachRemaining(k -> {
                if (k.contains(".")) {
                    out.put(k, num.apply(k));
                }
            });
            return out;
        }

        /** Every line of a {@value #METRICS} text. */
        static List<EpochMetrics> parse(String text) {
            List<EpochMetrics> out = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    try {
                        out.add(of(Json.MAPPER.readTree(line)));
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException("unreadable line of " + METRICS + ": " + line, e);
                    }
                }
            }
            return out;
        }

        /** The value {@code protospark.train.checkpoint.monitor} names. */
        double monitored(String name) {
            return switch (name) {
                case "val_accuracy" -> valAccuracy;
                case "val_loss" -> valLoss;
                case "train_loss" -> trainLoss;
                // an evaluation set's metric; NaN (no value: the checkpoint is not ranked) after an epoch it did not run
                default -> extra.getOrDefault(name, Double.NaN);
            };
        }
    }

    /**
     * What a run produced; {@code alreadyComplete} when the run directory held this run, completed, and nothing was
     * trained ({@code epochs} then come from its metrics file).
     */
    public record Result(java.net.URI runDir, List<EpochMetrics> epochs, double testAccuracy, double seconds,
                         int workers, boolean alreadyComplete) {
    }

    /** Called by the loop on the driver as a run goes (checkpoints, tests). */
    @FunctionalInterface
    public interface Listener {
        /**
         * After epoch {@code metrics.epoch()}'s line is in {@value #METRICS} and, when one was due, its checkpoint
         * ({@code checkpoint}, else null) is published.
         */
        void epochEnded(EpochMetrics metrics, String checkpoint);
    }

    /** Another live driver holds the run directory's lock (the {@code train} command exits with code 3). */
    public static class RunDirectoryInUseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        RunDirectoryInUseException(String message) {
            super(message);
        }
    }

    /** A non-finite training loss or parameter: the message is the diagnosis. */
    public static final class DivergedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        DivergedException(String message) {
            super(message);
        }
    }

    /**
     * Trains with validated settings ({@link TrainSettings#validate}) on {@code spark}; {@code extraHooks} run on the
     * workers after the loop's own. {@code resolved} is the configuration the settings came from, written to the run
     * directory as {@value #RESOLVED}.
     */
    public static Result run(TrainSettings t, ModelSettings m, Config resolved, SparkSession spark,
                             List<org.deeplearning4j.spark.api.TrainingHook> extraHooks) {
        return run(t, m, resolved, spark, extraHooks, List.of());
    }

    /**
     * {@link #run(TrainSettings, ModelSettings, Config, SparkSession, List)} with listeners called on the driver. The
     * run directory decides what runs ({@code protospark.train.resume}, {@link Resume}): a new run, the continuation of
     * an unfinished one from its newest checkpoint, or nothing for a completed run.
     */
    public static Result run(TrainSettings t, ModelSettings m, Config resolved, SparkSession spark,
                             List<org.deeplearning4j.spark.api.TrainingHook> extraHooks, List<Listener> listeners) {
        return run(t, m, resolved, spark, extraHooks, listeners, List.of());
    }

    /**
     * {@link #run(TrainSettings, ModelSettings, Config, SparkSession, List, List)} with the evaluations of
     * {@code train.eval.sets}, one per set in their order (built by the {@code train} command: see {@code TrainJob}).
     */
    public static Result run(TrainSettings t, ModelSettings m, Config resolved, SparkSession spark,
                             List<org.deeplearning4j.spark.api.TrainingHook> extraHooks, List<Listener> listeners,
                             List<ExtraEvaluation> evaluations) {
        if (evaluations.size() != t.evaluations().sets().size()) {
            throw new IllegalArgumentException("protospark.train.eval.sets names " + t.evaluations().sets().size()
                    + " evaluation sets but " + evaluations.size() + " evaluations were given");
        }
        long start = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();

        ShardSet shards = ShardSet.open(t.data(), hadoop);
        checkDataFitsTraining(shards, t);
        checkDataFitsModel(shards, m);
        if (shards.manifest().encoded()) {
            checkEncodedImages(shards, t, m);
        }
        ShardSet outliers = t.outliers().present() ? ShardSet.open(t.outliers().data().get(), hadoop) : null;
        if (outliers != null) {
            checkOutliersFitModel(outliers, t, m);
        }
        String dataSha = Resume.dataSha256(shards.manifest());
        try (RunDirectory run = RunDirectory.open(t.runDir(), hadoop);
             RunLock lock = RunLock.acquire(run, java.time.Duration.ofSeconds(t.lifecycle().lockTimeoutSeconds()))) {
            Resume.Plan plan = Resume.plan(run, t.lifecycle().resume(), t.epochs(), resolved, dataSha);
            if (plan.kind() == Resume.Kind.COMPLETE) {
                List<EpochMetrics> done = EpochMetrics.parse(plan.metrics());
                Object w = plan.provenance().get("spark") instanceof Map<?, ?> sp ? sp.get("workers") : null;
                double acc = done.isEmpty() ? Double.NaN : done.get(done.size() - 1).valAccuracy();
                LOG.info("run directory {} holds this run, completed after {} epochs (test accuracy {}); nothing to "
                        + "do", run.uri(), done.size(), String.format(Locale.ROOT, "%.4f", acc));
                return new Result(run.uri(), done, acc, (System.nanoTime() - start) / 1e9,
                        w instanceof Number n ? n.intValue() : 0, true);
            }
            crashDumpsInto(run.uri());
            return train(t, m, resolved, spark, jsc, shards, outliers, run, start, extraHooks, plan, dataSha,
                    listeners, evaluations);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot close run directory " + t.runDir(), e);
        }
    }

    private static Result train(TrainSettings t, ModelSettings m, Config resolved, SparkSession spark,
                                JavaSparkContext jsc, ShardSet shards, ShardSet outlierShards, RunDirectory run,
                                long start, List<org.deeplearning4j.spark.api.TrainingHook> extraHooks,
                                Resume.Plan plan, String dataSha, List<Listener> listeners,
                                List<ExtraEvaluation> evaluations) {
        LocalWorkers.Choice choice = LocalWorkers.choose(t.workers(), jsc.defaultParallelism(), jsc.isLocal(),
                t.workerMemory(), org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
        if (choice.warning()) {
            LOG.warn(choice.message());
        } else if (!choice.message().isEmpty()) {
            LOG.info(choice.message());
        }
        int workers = choice.workers();
        Checkpoints.Loaded from = plan.from();

        PrototypeSet prototypes = Prototypes.build(m);
        if (from != null && m.head().fixed()) {
            checkSamePrototypes(run, prototypes);
        }
        // a continued run takes its network, updater state, counts and CoMHE projections from the checkpoint
        ComputationGraph net = from != null ? from.network() : Networks.build(m, prototypes);
        if (from == null && t.initFrom().isPresent()) {
            initFrom(net, t.initFrom().get(), jsc.hadoopConfiguration());
            if (FixedHead.isFixed(net)) {
                FixedHead.apply(net, prototypes); // the driver's prototypes, whatever the earlier run held
            }
        }
        NetworkSummary summary = NetworkSummary.of(net.getConfiguration(), m, prototypes);
        LOG.info("network:\n{}", summary.render());
        LOG.info("training on {} with {} workers, batch {} per worker, averaging every {} minibatches, run dir {}",
                shards.root(), workers, t.batchSize(), t.averagingFrequency(), run.uri());

        run.writeText(RESOLVED, Configs.render(resolved));
        if (m.head().fixed()) {
            run.write(PROTOTYPES, out -> Npy.writeMatrix(out, prototypes.matrix()));
            run.writeText(PrototypeSet.sidecarName(PROTOTYPES), prototypes.metadataJson());
            run.write(ASSIGNMENT, out -> Npy.writeIntVector(out, IntStream.range(0, m.classes()).toArray()));
        }
        // a target loss's matrix travels by reference (a file in the run directory), not in every round's broadcast
        TargetsPublisher targets = new TargetsPublisher(run, t.targetsInlineUpTo());
        targets.publish(net);
        Map<String, Object> provenance = provenance(t, m, shards, prototypes, workers, spark);
        if (plan.kind() == Resume.Kind.CONTINUE) {
            provenance.put("started", plan.provenance().getOrDefault("started", provenance.get("started")));
            List<Object> resumes = plan.provenance().get("resumes") instanceof List<?> l ? new ArrayList<>(l)
                    : new ArrayList<>();
            resumes.add(Map.of("time", Instant.now().toString(), "from_epoch",
                    from == null ? 0 : from.state().epoch(), "app_id", spark.sparkContext().applicationId()));
            provenance.put("resumes", resumes);
            LOG.info("continuing the run in {} {}", run.uri(), from == null
                    ? "from its start (it has no checkpoint yet)" : "after epoch " + from.state().epoch()
                    + " (checkpoint " + from.name() + ")");
        }
        if (!targets.toList().isEmpty()) {
            provenance.put("targets", targets.toList());
        }
        run.writeText(PROVENANCE, Json.pretty(provenance));

        try {
            return trainEpochs(t, m, resolved, spark, jsc, shards, outlierShards, run, start, extraHooks, from,
                    dataSha, listeners, evaluations, workers, prototypes, net, targets, provenance);
        } catch (RuntimeException | Error e) {
            provenance.put("status", "failed");
            provenance.put("reason", e instanceof DivergedException ? e.getMessage() : e.toString());
            provenance.put("failed", Instant.now().toString());
            try {
                run.writeText(PROVENANCE, Json.pretty(provenance));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private static Result trainEpochs(TrainSettings t, ModelSettings m, Config resolved, SparkSession spark,
                                      JavaSparkContext jsc, ShardSet shards, ShardSet outlierShards, RunDirectory run,
                                      long start, List<org.deeplearning4j.spark.api.TrainingHook> extraHooks,
                                      Checkpoints.Loaded from, String dataSha, List<Listener> listeners,
                                      List<ExtraEvaluation> evaluations, int workers,
                                      PrototypeSet prototypes, ComputationGraph net, TargetsPublisher targets,
                                      Map<String, Object> provenance) {
        Epochs epochs = new Epochs(t, m, spark, jsc, shards, outlierShards, run, extraHooks,
                Checkpoints.sha256(Resume.identity(resolved)), dataSha, listeners, evaluations, workers, prototypes,
                net, targets, provenance);
        if (from != null) {
            epochs.restore(from);
        } else {
            epochs.start();
        }
        epochs.run();
        List<EpochMetrics> history = epochs.history();

        ComputationGraph trained = epochs.network();
        run.write(MODEL, out -> writeModel(trained, out));
        double seconds = (System.nanoTime() - start) / 1e9;
        double acc = history.get(history.size() - 1).valAccuracy();
        if (!targets.toList().isEmpty()) {
            provenance.put("targets", targets.toList());
        }
        provenance.put("status", "completed");
        provenance.put("finished", Instant.now().toString());
        provenance.put("seconds", seconds);
        provenance.put("test_accuracy", acc);
        run.writeText(PROVENANCE, Json.pretty(provenance));
        return new Result(run.uri(), history, acc, seconds, workers, false);
    }

    /**
     * Stops a run whose parameters went non-finite in an averaging round, naming the layers and parameters that did,
     * the epoch, the round and the learning rate. The sum of all parameters is the cheap test; only a non-finite sum
     * costs a scan of the layers.
     */
    static void checkFinite(ComputationGraph net, int epoch, int round, int rounds, double lr) {
        if (Double.isFinite(net.params().sumNumber().doubleValue())) {
            return;
        }
        List<String> bad = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            for (var e : layer.paramTable().entrySet()) {
                if (!Double.isFinite(e.getValue().sumNumber().doubleValue())) {
                    bad.add(layer.conf().getLayer().getLayerName() + "." + e.getKey());
                }
            }
        }
        if (bad.isEmpty()) {
            return; // the sum overflowed, every parameter is finite
        }
        throw new DivergedException("training diverged in epoch " + epoch + ", averaging round " + round + " of "
                + rounds + ": non-finite parameters in " + bad.subList(0, Math.min(8, bad.size()))
                + (bad.size() > 8 ? " and " + (bad.size() - 8) + " more" : "") + " at learning rate "
                + (Double.isNaN(lr) ? "(per-iteration schedule)" : lr) + "; try a lower "
                + "protospark.model.optimizer.learning-rate. The last checkpoint before it is kept");
    }

    static void progress(int epoch, int epochs, long done, long total, double seconds) {
        double rate = done / Math.max(seconds, 1e-9);
        double epochLeft = (total - done) / Math.max(rate, 1e-9);
        double runLeft = epochLeft + (epochs - epoch) * total / Math.max(rate, 1e-9);
        PROGRESS.info(String.format(Locale.ROOT, "epoch %d/%d  %d/%d examples  (%.0f img/s)  epoch ETA %s  run ETA %s",
                epoch, epochs, done, total, rate, duration(epochLeft), duration(runLeft)));
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    /** A continued run must build the prototypes it started with (every kind is a function of its settings). */
    private static void checkSamePrototypes(RunDirectory run, PrototypeSet built) {
        if (!run.exists(PROTOTYPES)) {
            return;
        }
        double[][] saved;
        try (java.io.InputStream in = run.open(PROTOTYPES)) {
            saved = Npy.readMatrix(in, PROTOTYPES);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + run.path(PROTOTYPES) + ": " + e.getMessage(), e);
        }
        if (!java.util.Arrays.deepEquals(saved, built.matrix())) {
            throw new IllegalStateException("the prototypes built now differ from " + run.path(PROTOTYPES)
                    + " of the run being continued; its checkpoints cannot be used with them");
        }
    }

    /**
     * Writes a trained network as {@value #MODEL}: DL4J's {@code ModelSerializer} zip layout (its configuration as JSON,
     * which names the layer, vertex, pre-processor, loss and updater classes, among them this project's, then the
     * parameters and the updater state), with target matrices above 1 MiB as {@code .npy} entries beside the JSON
     * ({@link io.protospark.model.io.ModelZip}). Saved models outlive the build that wrote them: a class renamed or moved breaks every
     * model.zip that names it, which {@code SavedModelFixtureTest} guards against.
     */
    public static void writeModel(ComputationGraph net, java.io.OutputStream out) throws java.io.IOException {
        io.protospark.model.io.ModelZip.write(net, out, true);
    }

    /** Reads a {@value #MODEL} written by {@link #writeModel}, with the updater state when {@code withUpdater}. */
    public static ComputationGraph readModel(java.io.InputStream in, boolean withUpdater) throws java.io.IOException {
        return io.protospark.model.io.ModelZip.read(in, withUpdater);
    }

    /**
     * Puts a new assignment in force on the driver: the permuted head into the network, its targets published (a new
     * file and reference for a target loss), {@code assignment.npy} rewritten. Returns the head's weights, against
     * which the epoch's averaging drift is measured.
     */
    static INDArray install(ComputationGraph net, PrototypeSet head, int[] owned, TargetsPublisher targets,
                                    RunDirectory run) {
        FixedHead.apply(net, head);
        targets.publish(net);
        run.write(ASSIGNMENT, out -> Npy.writeIntVector(out, owned));
        return FixedHead.weights(net);
    }

    /**
     * Where DL4J writes its memory crash dump ({@code dl4j-memory-crash-dump-*.txt}) when ND4J runs out of memory in
     * this JVM: into a local run directory, next to the run's other files, never the current directory; with a run
     * directory on a remote file system they stay off in this JVM, as {@code Main} sets them for every command (cluster
     * executors write theirs into their Spark work directory).
     */
    static void crashDumpsInto(java.net.URI runDir) {
        if ("file".equals(runDir.getScheme())) {
            org.deeplearning4j.util.CrashReportingUtil.crashDumpOutputDirectory(new java.io.File(runDir));
            org.deeplearning4j.util.CrashReportingUtil.crashDumpsEnabled(true);
        } else {
            org.deeplearning4j.util.CrashReportingUtil.crashDumpsEnabled(false);
        }
    }

    /**
     * Reads an earlier run's model (any Hadoop file system) and copies its shared layers into {@code net}
     * ({@link io.protospark.model.net.SharedLayers#copy}).
     */
    static void initFrom(ComputationGraph net, java.net.URI modelZip, Configuration hadoop) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(modelZip);
        ComputationGraph earlier;
        try (java.io.InputStream in = path.getFileSystem(hadoop).open(path)) {
            earlier = readModel(in, false);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read protospark.train.init-from " + modelZip + ": "
                    + e.getMessage(), e);
        }
        io.protospark.model.net.SharedLayers.Copied c = io.protospark.model.net.SharedLayers.copy(earlier, net,
                modelZip.toString());
        List<String> fresh = c.fresh();
        long copied = c.parameters();
        if (!fresh.isEmpty()) {
            LOG.info("layers not in {} start freshly initialised: {}", modelZip, fresh);
        }
        LOG.info("initialised from {} ({} parameters)", modelZip, copied);
    }

    /** Input decoding: the model's normalisation, and the training split's augmentation. */
    static Decoding decoding(ModelSettings m, TrainSettings t) {
        Decoding d = inputDecoding(m);
        return new Decoding(d.channels(), d.height(), d.width(), d.mean(), d.std(), t.augment().cropPadding(),
                t.augment().flip(), t.augment().erase());
    }

    /**
     * {@link #decoding(ModelSettings, TrainSettings)} for the data set {@code shards}: with its encoded images decoded
     * and cropped as {@code protospark.train.images.*} say, after {@link #checkEncodedImages}.
     */
    static Decoding decoding(ModelSettings m, TrainSettings t, ShardSet shards) {
        if (!shards.manifest().encoded()) {
            return decoding(m, t);
        }
        checkEncodedImages(shards, t, m);
        Decoding d = inputDecoding(m);
        return new Decoding(d.channels(), d.height(), d.width(), d.mean(), d.std(), 0, t.augment().flip(),
                t.augment().erase(), t.images());
    }

    /**
     * A data set of encoded images takes the random resized crop, not the padded crop of pixel data sets; its
     * evaluation resize must cover the input; outlier exposure (pixel data appended to its minibatches) is refused.
     */
    static void checkEncodedImages(ShardSet shards, TrainSettings t, ModelSettings m) {
        if (t.augment().cropPadding() > 0) {
            throw new SettingsException("protospark.train.augment.crop-padding", "must be 0 for the data set "
                    + shards.root() + " of encoded images (prepare.store = encoded), which training crops with "
                    + "protospark.train.images.*", t.augment().cropPadding(), "set 0");
        }
        int side = Math.max(m.input().height(), m.input().width());
        if (t.images().evalResize() < side) {
            throw new SettingsException("protospark.train.images.eval-resize", "must be at least the model's input "
                    + "height and width (" + m.input().shape() + ") to centre-crop it", t.images().evalResize(),
                    "torchvision resizes to 256 for 224");
        }
        if (t.outliers().present()) {
            throw new SettingsException("protospark.train.outliers.data", "cannot be used with the data set "
                    + shards.root() + " of encoded images (prepare.store = encoded)", t.outliers().data().get()
                    .toString(), "train on a data set of decoded pixels (prepare.store = pixels) for outlier exposure");
        }
    }

    /** The model's input decoding (its normalisation) without augmentation, as evaluation and inference read images. */
    public static Decoding inputDecoding(ModelSettings m) {
        ModelSettings.Input in = m.input();
        float[] mean = new float[in.mean().size()];
        float[] std = new float[in.std().size()];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = in.mean().get(i).floatValue();
            std[i] = in.std().get(i).floatValue();
        }
        return new Decoding(in.channels(), in.height(), in.width(), mean, std, 0, false);
    }

    /**
     * Sets epoch {@code epoch}'s learning rate on every trainable layer (never on the fixed head, whose zero rate is
     * what keeps it fixed), for a schedule stepped per epoch; a constant schedule is set only when {@code force} (after
     * a rollback scaled it). Workers rebuild the network from the driver's configuration at every averaging round, so
     * the rate reaches them with the parameters.
     */
    static double applyLearningRate(ComputationGraph net, LearningRateSchedule schedule, int epoch, int epochs,
                                    boolean force) {
        double lr = schedule.at(epoch, epochs);
        if (!schedule.varies() && !force) {
            return lr; // the optimizer was built with this rate
        }
        setRate(net, lr, null);
        return lr;
    }

    /**
     * Installs a per-iteration schedule on every trainable layer (not the fixed head): the updaters read the rate of
     * the network's iteration count at every step, on every worker.
     */
    static void applySchedule(ComputationGraph net, IterationSchedule schedule) {
        setRate(net, schedule.rateAt(0), schedule);
    }

    /** Sets a fixed learning rate on every trainable layer (not the fixed head): a worker's network under sharing. */
    static void setRate(ComputationGraph net, double lr) {
        setRate(net, lr, null);
    }

    private static void setRate(ComputationGraph net, double lr, org.nd4j.linalg.schedule.ISchedule schedule) {
        // the rate lives in each layer's updater configuration, the very objects the updater reads at every step
        // (DL4J's ComputationGraph.setLearningRate fails on a graph whose fixed head has no updater state)
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            if (FixedHead.isFixedLayer(layer)) {
                continue;
            }
            for (String param : layer.paramTable().keySet()) {
                org.nd4j.linalg.learning.config.IUpdater u = layer.conf().getLayer().getUpdaterByParam(param);
                if (u != null && u.hasLearningRate()) {
                    u.setLrAndSchedule(lr, schedule);
                }
            }
        }
    }

    /** How the evaluation turns the network's output into classes. */
    static Evaluator.Predictor predictor(ModelSettings m) {
        Decision rule = m.head().decision();
        if (rule == Decision.DOT && !m.head().loss().isTarget()) {
            return Evaluator.ARGMAX;
        }
        boolean target = m.head().loss().isTarget();
        String feature = Networks.feature(m);
        return local -> {
            // the K×d prototypes of this partition's network, read once
            INDArray prototypes = FixedHead.prototypes(local).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
            // a target loss outputs the embedding itself; a fixed head's embedding is an inner vertex
            return new Evaluator.Classifier(target ? Networks.output(local) : feature,
                    f -> rule.predict(f.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE), prototypes));
        };
    }

    /** The outlier-exposure data must have the model's image shape and the split named. */
    static void checkOutliersFitModel(ShardSet outliers, TrainSettings t, ModelSettings m) {
        if (!outliers.splits().contains(t.outliers().split())) {
            throw new SettingsException("protospark.train.outliers.split", "must name a split of the data set "
                    + outliers.root(), t.outliers().split(), "it has " + new java.util.TreeSet<>(outliers.splits()));
        }
        if (!sameImageShape(outliers, m)) {
            throw new SettingsException("protospark.train.outliers.data",
                    "must hold images of the model's shape " + m.input().shape(),
                    outliers.root().toString(), "it has " + imageShape(outliers));
        }
    }

    /** The data set and the model must agree on classes and image shape; checked before training starts. */
    static void checkDataFitsTraining(ShardSet shards, TrainSettings t) {
        if (Manifest.PAIRS.equals(shards.manifest().schema())) {
            throw new SettingsException("protospark.train.data",
                    "must be a classification data set; " + shards.root() + " holds verification pairs",
                    shards.root().toString(), "prepare a classification format (idx, cifar10, cifar100, "
                            + "svhn, stl10, imagefolder, imagenet, tiny-imagenet, recordio) to train on");
        }
        for (String[] split : new String[][]{{"train-split", t.trainSplit()}, {"eval-split", t.evalSplit()}}) {
            if (!shards.splits().contains(split[1])) {
                throw new SettingsException("protospark.train." + split[0],
                        "must name a split of the data set " + shards.root(), split[1],
                        "it has " + new java.util.TreeSet<>(shards.splits()));
            }
        }
    }

    static void checkDataFitsModel(ShardSet shards, ModelSettings m) {
        if (shards.classes() != m.classes()) {
            throw new SettingsException("protospark.model.classes",
                    "must equal the number of classes of the data set " + shards.root(), m.classes(),
                    "the data has " + shards.classes() + "; set model.classes = " + shards.classes());
        }
        if (shards.manifest().encoded()) {
            // encoded images are cropped to the model's input size; they decode to RGB
            if (m.input().channels() != 3) {
                throw new SettingsException("protospark.model.input.channels", "must be 3 for the data set "
                        + shards.root() + ", whose encoded images decode to RGB", m.input().channels(), "set 3");
            }
            return;
        }
        if (!sameImageShape(shards, m)) {
            throw new SettingsException("protospark.model.input",
                    "must match the image shape of the data set " + shards.root(),
                    m.input().shape(), "the data has " + imageShape(shards));
        }
    }

    /** Whether the data set's images have the model's input shape (height, width, channels). */
    public static boolean sameImageShape(ShardSet s, ModelSettings m) {
        ModelSettings.Input in = m.input();
        return s.height() == in.height() && s.width() == in.width() && s.channels() == in.channels();
    }

    /** The data set's image shape, as the messages about a mismatch name it. */
    public static String imageShape(ShardSet s) {
        return s.height() + "x" + s.width() + "x" + s.channels() + " (height x width x channels)";
    }

    private static Map<String, Object> provenance(TrainSettings t, ModelSettings m, ShardSet shards,
                                                  PrototypeSet prototypes, int workers, SparkSession spark) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("status", "running");
        p.put("started", Instant.now().toString());
        p.put("seed", t.seed());
        p.put("build", Provenance.build());
        p.put("spark", Map.of("master", spark.sparkContext().master(), "version", spark.version(),
                "workers", workers, "app_id", spark.sparkContext().applicationId()));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("uri", shards.root().toString());
        data.put("format", shards.manifest().format());
        data.put("classes", shards.classes());
        List<Map<String, Object>> files = new ArrayList<>();
        for (Manifest.ShardFile f : shards.manifest().files()) {
            files.add(Map.of("path", f.path(), "split", f.split(), "sha256", f.sha256()));
        }
        data.put("files", files);
        p.put("data", data);
        if (m.head().fixed()) {
            p.put("prototypes", Map.of("kind", prototypes.kind().configName(), "classes", prototypes.classes(),
                    "dimension", prototypes.dimension(), "max_cosine", prototypes.maxCosine(),
                    "min_cosine", prototypes.minCosine(), "simplex_bound", prototypes.simplexBound(),
                    "parameters", prototypes.parameters(),
                    "assignment", t.assignment().mode() == TrainSettings.AssignmentMode.STATIC
                            ? "static: class k owns prototype k"
                            : "dynamic: class k owns prototype assignment.npy[k], re-solved every "
                            + t.assignment().every() + " epoch(s) after " + t.assignment().warmup() + " warm-up"));
        } else {
            p.put("head", io.protospark.config.Configs.configName(m.head().kind()));
        }
        return p;
    }
}
