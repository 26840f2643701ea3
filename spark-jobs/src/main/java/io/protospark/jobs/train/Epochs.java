package io.protospark.jobs.train;

import io.protospark.data.shard.ShardSet;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.spark.SparkCandidates;
import io.protospark.model.assign.AssignmentStep;
import io.protospark.model.assign.ClassMemory;
import io.protospark.model.net.FixedHead;
import io.protospark.model.net.IterationSchedule;
import io.protospark.model.net.LearningRateSchedule;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.PrototypeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The epochs of one run on the driver: its Spark side (the training master with the workers' hooks, the cached
 * examples) and its state, all of which a checkpoint holds and {@link #restore} puts back (a continued run, or a
 * rollback after divergence). {@link #run} is the loop: for each epoch the assignment step (dynamic assignment),
 * the averaging rounds, the evaluation, the metrics line and the checkpoint.
 */
final class Epochs {
    private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);
    private static final Logger PROGRESS = LoggerFactory.getLogger("io.protospark.progress");
    /** Seeds the class memory of dynamic assignment (DL2PA's random start, or rows for the identity start). */
    private static final long MEMORY_SEED_FACTOR = 1_000_003L;

    // ---- fixed for the run
    private final TrainSettings t;
    private final ModelSettings m;
    private final JavaSparkContext jsc;
    private final RunDirectory run;
    private final TargetsPublisher targets;
    private final Map<String, Object> provenance;
    private final List<TrainLoop.Listener> listeners;
    private final int workers;
    private final String configSha;
    private final String dataSha;
    /** The training master: parameter averaging, or gradient sharing ({@link Sharing}). */
    private final TrainingMaster<?, ?> master;
    /** Averaging's round costs (null with sharing). */
    private final RoundCosts costs;
    /** train.master = sharing */
    private final boolean sharing;
    private final int threadsPerWorker;
    /** Sharing: each executor keeps its network between epochs, so the epoch's rate travels with its tasks. */
    private final Sharing.WorkerListener sharingListener;
    private long sharingRound;
    private Map<String, Object> sharingCosts = Map.of();
    private final PartitionSums lossSum;
    private final LongAccumulator lossCount;
    private final GlobalStep globalStep = new GlobalStep();
    private final ClassMemoryHook memoryHook;
    private final ClassMemoryHook.Copies memoryCopies;
    private final boolean perIteration;
    private final boolean batchMemory;
    private final int firstResolve;
    private final Decoding decoding;
    private final Minibatches.Training training;
    private final JavaRDD<Example> train;
    private final JavaRDD<Example> outliers;
    private final JavaRDD<DataSet> test;
    private final long trainCount;

    // ---- the run's state: everything below is in a checkpoint
    private SparkComputationGraph sparkNet;
    private final List<TrainLoop.EpochMetrics> history = new ArrayList<>();
    private final StringBuilder metricsFile = new StringBuilder();
    private final List<ExtraEvaluation> evaluations;
    private final AssignmentStep assignment;
    private PrototypeSet head;
    /** The head's weights when the epoch began, against which averaging's drift is measured (null: no fixed head). */
    private INDArray fixedBefore;
    private IterationSchedule perStep;
    /** Per-iteration schedules: the first epoch's minibatch steps per worker (0 before it). */
    private int stepsPerEpoch;
    /** Minibatch steps per worker trained so far (schedules, Adam's bias correction, CoMHE's P). */
    private long step;
    /** The learning rate's factor after rollbacks (1 without). */
    private double lrScale = 1.0;
    private int rollbacks;
    /** The last epoch trained. */
    private int epoch;

    Epochs(TrainSettings t, ModelSettings m, SparkSession spark, JavaSparkContext jsc, ShardSet shards,
           ShardSet outlierShards, RunDirectory run, List<TrainingHook> extraHooks, String configSha, String dataSha,
           List<TrainLoop.Listener> listeners, List<ExtraEvaluation> evaluations, int workers, PrototypeSet prototypes,
           ComputationGraph net,
           TargetsPublisher targets, Map<String, Object> provenance) {
        this.t = t;
        this.m = m;
        this.jsc = jsc;
        this.run = run;
        this.targets = targets;
        this.provenance = provenance;
        this.listeners = listeners;
        this.evaluations = evaluations;
        this.workers = workers;
        this.configSha = configSha;
        this.dataSha = dataSha;
        lossSum = new PartitionSums();
        jsc.sc().register(lossSum, "protospark.train.loss");
        lossCount = jsc.sc().longAccumulator("protospark.train.examples");
        threadsPerWorker = t.threadsPerWorker() > 0 ? t.threadsPerWorker()
                : WorkerThreads.auto(jsc.getConf(), workers);
        sharing = t.master().sharing();
        boolean local = jsc.getConf().get("spark.master", "local[*]").startsWith("local");
        // on a cluster the executors register while the job starts: count the ones the workers will use, each
        // worker on an executor of its own unless spark.executor.instances says fewer (metrics.jsonl counts the
        // registered ones again every epoch)
        int registered = local ? 1 : jsc.sc().getExecutorMemoryStatus().size() - 1;
        int executors = local ? 1 : Math.max(1, Math.min(workers,
                Math.max(registered, jsc.getConf().getInt("spark.executor.instances", workers))));
        RoundBytes bytes = RoundBytes.of(net);
        LOG.info("memory {}", Provenance.memoryLimits());
        LOG.info("{} native thread(s) per worker; one averaging round moves {} bytes: broadcast {} (configuration {}) "
                        + "to {} executor(s){}, {} back from each of {} workers; fixed prototypes {} of the broadcast{}",
                threadsPerWorker, bytes.perRound(workers, executors), bytes.broadcast(), bytes.configuration(),
                executors, local ? "" : " (" + registered + " registered so far)", bytes.resultPerWorker(), workers,
                bytes.fixed(), bytes.targetsFileBytes() == 0 ? ""
                        : " (by reference; each executor JVM reads the " + bytes.targetsFileBytes()
                        + "-byte targets file once per matrix)");
        provenance.put("threads_per_worker", threadsPerWorker);
        provenance.put("round", bytes.toMap(workers, executors));
        provenance.put("master", t.master().sharing() ? "sharing" : "averaging");
        run.writeText(TrainLoop.PROVENANCE, Json.pretty(provenance));
        // a per-iteration schedule and Adam's bias correction read the worker's iteration count, which DL4J restarts
        // at 0 every round: without the global count every round's Adam steps shrink to 0.15-0.3x (bias correction
        // of a moment estimate that is in fact warm)
        perIteration = m.optimizer().schedule().unit() == LearningRateSchedule.Unit.ITERATION;
        List<TrainingHook> hooks = new ArrayList<>(List.of(new LossHook(lossSum, lossCount),
                new WorkerThreads(threadsPerWorker), globalStep)); // before any hook that reads the iteration count
        batchMemory = t.assignment().dynamic() && t.assignment().memory() == TrainSettings.AssignmentMemory.BATCHES;
        if (batchMemory) {
            memoryCopies = new ClassMemoryHook.Copies();
            jsc.sc().register(memoryCopies, "protospark.train.class-memory");
            memoryHook = new ClassMemoryHook(Networks.feature(m), memoryCopies);
            hooks.add(memoryHook);
        } else {
            memoryCopies = null;
            memoryHook = null;
        }
        hooks.addAll(extraHooks);
        // a worker re-batches what it receives to batchSizePerWorker rows: with outlier exposure each minibatch
        // carries its outliers too, so that is the row count that keeps minibatches whole
        int rowsPerBatch = t.batchSize() + t.outliersInEachBatch();
        RoundCosts.localClock();
        if (sharing) {
            Sharing.checkReachable(t.master(), jsc.getConf());
            master = Sharing.master(t.master(), jsc.getConf(), workers, rowsPerBatch, t.prefetch(), t.seed());
            costs = null;
            sharingListener = new Sharing.WorkerListener();
            LOG.info("gradient sharing: driver's Aeron endpoint {}:{} (UDP), executor N at port {} + N, threshold {} "
                            + "({}), {} worker thread(s) per executor", Sharing.controller(t.master(), jsc.getConf()),
                    t.master().port(), t.master().port() + 1, t.master().threshold(),
                    t.master().adaptive() ? "adaptive" : "fixed", t.master().workersPerNode());
        } else {
            sharingListener = null;
            RoundMaster averaging = new RoundMaster(new ParameterAveragingTrainingMaster.Builder(workers,
                    rowsPerBatch)
                .batchSizePerWorker(rowsPerBatch)
                .averagingFrequency(t.averagingFrequency())
                .workerPrefetchNumBatches(t.prefetch())
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(org.deeplearning4j.spark.api.Repartition.Never) // rounds are balanced per partition
                .storageLevel(null) // rounds are filters over the epoch's cached minibatches; nothing more to cache
                .rngSeed(t.seed())
                .trainingHooks(hooks.toArray(new TrainingHook[0]))
                .collectTrainingStats(true)); // per-round costs; a few clock reads per minibatch
            master = averaging;
            // executors counted again each epoch: at this point some may not have registered yet
            costs = new RoundCosts(averaging, bytes, workers,
                    local ? () -> 1 : () -> Math.max(1, jsc.sc().getExecutorMemoryStatus().size() - 1));
        }
        sparkNet = network(net);

        ExampleRdds.warnIfTooSmall(shards, t.trainSplit(), t.maxTrainExamples(), workers, t.batchSize());
        train = ExampleRdds.read(spark, shards, t.trainSplit(), workers, t.maxTrainExamples())
                .persist(StorageLevel.MEMORY_ONLY());
        decoding = TrainLoop.decoding(m, t, shards);
        // in a fixed order, so that the evaluation's sums are the same in every run
        test = ExampleRdds.batches(ExampleRdds.canonical(ExampleRdds.read(spark, shards, t.evalSplit(), workers, 0),
                workers), t.evaluations().batchSize(), m.classes(), decoding).persist(StorageLevel.MEMORY_ONLY());
        outliers = outlierShards == null ? null
                : ExampleRdds.read(spark, outlierShards, t.outliers().split(), workers, 0)
                        .persist(StorageLevel.MEMORY_ONLY());
        training = new Minibatches.Training(t.mixup().alpha(), t.labelSmoothing(), t.outliersInEachBatch());
        if (outliers != null) {
            LOG.info("outlier exposure: {} examples of {} ({}), {} per minibatch", outliers.count(),
                    outlierShards.root(), t.outliers().split(), t.outliersInEachBatch());
        } else if (m.head().loss() == io.protospark.model.net.LossKind.NIRVANA_OPEN_SET) {
            LOG.warn("the nirvana-open-set loss trains without outliers (train.outliers.data is empty): its outlier "
                    + "term is 0");
        }
        trainCount = train.count();
        long testCount = test.map(DataSet::numExamples).reduce(Integer::sum);
        LOG.info("{} training and {} test examples", trainCount, testCount);

        fixedBefore = FixedHead.isFixed(net) ? FixedHead.weights(net) : null;
        head = prototypes;
        assignment = t.assignment().dynamic()
                ? new AssignmentStep(prototypes, t.assignment().momentum(), t.assignment().denseUpTo(),
                        new SparkCandidates(jsc, workers)) : null;
        // DL2PA starts from a random class memory: the first re-solve from the network's features comes after the
        // first epoch at the earliest, as it does when the memory is built from the training minibatches
        boolean randomStart = assignment != null && t.assignment().initial() == TrainSettings.AssignmentStart.RANDOM;
        firstResolve = Math.max(t.assignment().warmup(), randomStart || batchMemory ? 1 : 0);
    }

    /** A run from its first epoch: DL2PA's seeded random assignment, or the identity. */
    void start() {
        if (assignment != null && t.assignment().initial() == TrainSettings.AssignmentStart.RANDOM) {
            AssignmentStep.Outcome initial = assignment.randomStart(t.seed() * MEMORY_SEED_FACTOR + 17);
            head = assignment.head();
            fixedBefore = TrainLoop.install(network(), head, initial.assignment(), targets, run);
            LOG.info("random initial assignment (seeded class memory): {} of {} classes away from prototype k, mean "
                    + "cosine {}", initial.changed(), m.classes(), String.format(Locale.ROOT, "%.4f",
                    initial.meanCosine()));
        }
        if (batchMemory) {
            assignment.memory(t.seed() * MEMORY_SEED_FACTOR + 17); // the random start's, or seeded rows for identity
        }
    }

    /** Puts a checkpoint's state back: network with updater state, step, schedule, assignment, memory, metrics. */
    void restore(Checkpoints.Loaded from) {
        Checkpoints.State saved = from.state();
        sparkNet = network(from.network());
        epoch = saved.epoch();
        step = saved.step();
        stepsPerEpoch = saved.stepsPerEpoch();
        lrScale = Math.min(lrScale, saved.lrScale()); // a rollback lowers the scale below the checkpoint's
        history.clear();
        history.addAll(TrainLoop.EpochMetrics.parse(from.metrics()));
        metricsFile.setLength(0);
        metricsFile.append(from.metrics());
        run.writeText(TrainLoop.METRICS, metricsFile.toString());
        if (assignment != null) {
            assignment.restore(saved.assignment(), from.memory());
            head = assignment.head();
            fixedBefore = TrainLoop.install(network(), head, assignment.assignment(), targets, run);
        } else if (fixedBefore != null) {
            FixedHead.apply(network(), head);
            fixedBefore = FixedHead.weights(network());
        }
        perStep = null;
        if (perIteration && stepsPerEpoch > 0) {
            perStep = schedule().perIteration(stepsPerEpoch, t.epochs());
            TrainLoop.applySchedule(network(), perStep);
        }
        if (batchMemory) {
            assignment.memory(t.seed() * MEMORY_SEED_FACTOR + 17); // no-op: a checkpoint always holds the memory
        }
    }

    private SparkComputationGraph network(ComputationGraph net) {
        SparkComputationGraph s = new SparkComputationGraph(jsc, net, master);
        if (sharingListener != null) {
            s.setListeners(sharingListener);
        }
        return s;
    }

    ComputationGraph network() {
        return sparkNet.getNetwork();
    }

    List<TrainLoop.EpochMetrics> history() {
        return List.copyOf(history);
    }

    /** The epochs after the last one trained (0 for a new run), each followed by its checkpoint when due. */
    void run() {
        TrainSettings.Lifecycle life = t.lifecycle();
        while (epoch < t.epochs()) {
            TrainLoop.EpochMetrics em;
            try {
                em = epoch(epoch + 1);
            } catch (TrainLoop.DivergedException d) {
                rollBack(d);
                continue;
            }
            epoch = em.epoch();
            String checkpoint = null;
            if (life.checkpointEvery() > 0 && (epoch % life.checkpointEvery() == 0 || epoch == t.epochs())) {
                checkpoint = checkpoint(em);
            }
            for (TrainLoop.Listener l : listeners) {
                l.epochEnded(em, checkpoint);
            }
        }
        train.unpersist(false);
        test.unpersist(false);
        if (outliers != null) {
            outliers.unpersist(false);
        }
    }

    /**
     * {@code train.on-divergence = rollback}: back to the newest usable checkpoint with the learning rate times
     * {@code divergence.lr-factor}, at most {@code divergence.max-rollbacks} times; otherwise the divergence ends the
     * run.
     */
    private void rollBack(TrainLoop.DivergedException d) {
        TrainSettings.Lifecycle life = t.lifecycle();
        if (!life.rollback() || rollbacks >= life.maxRollbacks()) {
            if (life.rollback()) {
                throw new TrainLoop.DivergedException(d.getMessage() + " (after " + rollbacks + " rollback(s), the "
                        + "most protospark.train.divergence.max-rollbacks allows)");
            }
            throw d;
        }
        Checkpoints.Loaded last = Checkpoints.newestValid(run).orElseThrow(() -> new TrainLoop.DivergedException(
                d.getMessage() + "; no checkpoint to roll back to"));
        rollbacks++;
        lrScale *= life.lrFactor();
        LOG.warn("{}; rolling back to checkpoint {} with the learning rate times {} (rollback {} of at most {})",
                d.getMessage(), last.name(), lrScale, rollbacks, life.maxRollbacks());
        restore(last);
        @SuppressWarnings("unchecked")
        List<Object> list = provenance.get("rollbacks") instanceof List<?> l ? (List<Object>) l : new ArrayList<>();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("time", Instant.now().toString());
        entry.put("reason", d.getMessage());
        entry.put("to_checkpoint", last.name());
        entry.put("lr_scale", lrScale);
        list.add(entry);
        provenance.put("rollbacks", list);
        run.writeText(TrainLoop.PROVENANCE, Json.pretty(provenance));
    }

    private LearningRateSchedule schedule() {
        return m.optimizer().schedule().scaled(lrScale);
    }

    /** One epoch: the assignment step when due, the averaging rounds, the evaluation, the metrics line. */
    private TrainLoop.EpochMetrics epoch(int e) {
        long epochStart = System.nanoTime();
        double lr = perIteration ? Double.NaN : TrainLoop.applyLearningRate(network(), schedule(), e, t.epochs(),
                lrScale != 1.0);
        lossSum.reset();
        lossCount.reset();
        AssignmentStep.Outcome assigned = reassign(e);
        long fitStart = System.nanoTime();
        JavaRDD<Example> order = t.shuffle() ? ExampleRdds.shuffle(train, t.seed(), e, workers)
                : ExampleRdds.canonical(train, workers);
        JavaRDD<Example> outlierOrder = outliers == null ? null
                : ExampleRdds.shuffle(outliers, t.seed() + 7_777_777L, e, order.getNumPartitions());
        // each minibatch numbered within its partition: round r trains minibatches r*f .. r*f+f-1 of every
        // partition, so each of the workers partitions hands its worker exactly f minibatches (fewer in the last
        // round) and DL4J need not rebalance them with a shuffle (Repartition.Never). DL4J's own random split
        // gives rounds of random size, and a worker whose share exceeds the averaging frequency silently drops
        // the excess minibatches (about 2 % of an epoch); these fixed rounds train every minibatch.
        JavaRDD<? extends Tuple2<?, Integer>> batches;
        java.util.function.BiFunction<Integer, Integer, JavaRDD<DataSet>> round;
        if (decoding.encoded()) {
            // encoded images: the epoch's minibatches are numbered as examples and decoded inside each round's
            // training tasks (DL4J's worker prefetch and the decoding pool run ahead of the fit), so an epoch never
            // holds its float minibatches in memory and decoding overlaps training
            JavaRDD<Tuple2<List<Example>, Integer>> groups = ExampleRdds.groups(order, t.batchSize())
                    .persist(StorageLevel.MEMORY_ONLY());
            batches = groups;
            long epochSeed = t.seed() * 31 + e;
            round = (lo, hi) -> ExampleRdds.decodedRound(groups, lo, hi, t.batchSize(), m.classes(), decoding,
                    training, epochSeed);
        } else {
            JavaRDD<Tuple2<DataSet, Integer>> decoded = ExampleRdds.batches(order, outlierOrder, t.batchSize(),
                            m.classes(), decoding, training, t.seed() * 31 + e)
                    .mapPartitions(it -> {
                        List<Tuple2<DataSet, Integer>> numbered = new ArrayList<>();
                        while (it.hasNext()) {
                            numbered.add(new Tuple2<>(it.next(), numbered.size()));
                        }
                        return numbered.iterator();
                    }, true)
                    .persist(StorageLevel.MEMORY_ONLY());
            batches = decoded;
            round = (lo, hi) -> decoded.filter(b -> b._2() >= lo && b._2() < hi).map(Tuple2::_1);
        }
        int[] perPartition = batches.mapPartitions(it -> {
            int n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(n).iterator();
        }).collect().stream().mapToInt(Integer::intValue).toArray();
        int longest = Arrays.stream(perPartition).max().orElse(0);
        Double lrLast = null;
        if (perIteration) {
            if (perStep == null) {
                // T = epochs x the first epoch's steps per worker (the longest partition's minibatches)
                stepsPerEpoch = Math.max(1, longest);
                perStep = schedule().perIteration(stepsPerEpoch, t.epochs());
                TrainLoop.applySchedule(network(), perStep);
                LOG.info("learning rate stepped per iteration: {} steps per worker per epoch, {}", longest, perStep);
            }
            lr = perStep.rateAt(step);
            lrLast = perStep.rateAt(step + Math.max(1, longest) - 1);
        }
        try {
            rounds(e, round, perPartition, longest, lr, fitStart);
        } finally {
            batches.unpersist(false);
        }
        step += longest;
        double fitSeconds = (System.nanoTime() - fitStart) / 1e9;

        double drift = 0;
        if (fixedBefore != null) {
            long reapplyStart = System.nanoTime();
            // parameter averaging is not bit-exact for every worker count: the driver re-applies its matrix
            drift = FixedHead.weights(network()).sub(fixedBefore).amaxNumber().doubleValue();
            FixedHead.apply(network(), head);
            targets.publish(network()); // same matrix: compared, not hashed or rewritten
            if (costs != null) {
                costs.reapplied(System.nanoTime() - reapplyStart);
            }
        }
        if (costs != null) {
            LOG.info("epoch {} averaging: {}", e, costs.summary());
        } else {
            LOG.info("epoch {} gradient sharing: {}", e, sharingCosts);
        }
        Evaluator.Score eval = Evaluator.evaluate(jsc, network(), test, TrainLoop.predictor(m));
        long seen = lossCount.value();
        double trainLoss = seen == 0 ? Double.NaN : lossSum.value() / seen;
        Map<String, Double> extra = new LinkedHashMap<>();
        if (t.evaluations().due(e, t.epochs())) {
            for (ExtraEvaluation x : evaluations) {
                long xStart = System.nanoTime();
                x.evaluate(jsc, network()).forEach((k, v) -> extra.put(x.name() + "." + k, v));
                LOG.info("evaluation {} after epoch {}: {} ({} s)", x.name(), e, extra.entrySet().stream()
                        .filter(en -> en.getKey().startsWith(x.name() + "."))
                        .map(en -> en.getKey() + " " + String.format(Locale.ROOT, "%.4f", en.getValue()))
                        .toList(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - xStart) / 1e9));
            }
            ExtraEvaluation.meanVerificationAccuracy(evaluations, extra)
                    .ifPresent(mean -> extra.put(ExtraEvaluation.MEAN_VERIFICATION_ACCURACY, mean));
            String monitor = t.lifecycle().monitor();
            if (monitor.contains(".") && !extra.containsKey(monitor)) {
                throw new IllegalArgumentException("protospark.train.checkpoint.monitor = " + monitor + " names no "
                        + "metric of the evaluation sets; they give " + extra.keySet());
            }
        }
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        TrainLoop.EpochMetrics em = new TrainLoop.EpochMetrics(e, lr, lrLast, trainLoss, eval.meanLoss(),
                eval.accuracy(), seconds, seen, seen / fitSeconds, drift,
                assigned == null ? null : assigned.changed(), assigned == null ? null : assigned.meanCosine(), extra,
                costs != null ? costs.toMap() : sharingCosts);
        PROGRESS.info(String.format(Locale.ROOT,
                "epoch %d/%d  train_loss %.4f  val_loss %.4f  val_accuracy %.4f  %.1f s  (%.0f img/s)",
                e, t.epochs(), trainLoss, eval.meanLoss(), eval.accuracy(), seconds, seen / fitSeconds));
        if (!Double.isFinite(trainLoss)) {
            throw new TrainLoop.DivergedException("training diverged in epoch " + e + ": the training loss is "
                    + trainLoss + " while the parameters are finite (a loss term overflowed); learning rate " + lr
                    + "; try a lower protospark.model.optimizer.learning-rate (now " + m.optimizer().learningRate()
                    + ")");
        }
        history.add(em);
        metricsFile.append(Json.line(em.toMap())).append('\n');
        run.writeText(TrainLoop.METRICS, metricsFile.toString());
        return em;
    }

    /**
     * DL2PA's step, before epoch {@code e}'s fit when due: class memory -> cosine to the prototypes -> exact
     * assignment -> permuted head. The fit broadcasts the driver's parameters, so the epoch trains, and is evaluated,
     * with the new assignment. Null when no re-solve is due.
     */
    private AssignmentStep.Outcome reassign(int e) {
        if (assignment == null || e - 1 < firstResolve || (e - 1 - firstResolve) % t.assignment().every() != 0) {
            return null;
        }
        AssignmentStep.Outcome assigned;
        if (batchMemory) {
            assigned = assignment.resolve(); // the memory the training minibatches built
        } else {
            ClassMemory sums = ClassMemoryPass.gather(jsc, network(), Networks.feature(m),
                    ExampleRdds.batches(ExampleRdds.canonical(train, workers), t.evaluations().batchSize(),
                            m.classes(), decoding), m.classes(),
                    m.embeddingDim());
            assigned = assignment.update(sums);
        }
        head = assignment.head();
        fixedBefore = TrainLoop.install(network(), head, assigned.assignment(), targets, run);
        LOG.info("assignment before epoch {}: {} classes changed prototype, mean cosine {}", e, assigned.changed(),
                String.format(Locale.ROOT, "%.4f", assigned.meanCosine()));
        return assigned;
    }

    /** The epoch's averaging rounds: f minibatches per worker each, the workers' class-memory copies merged after. */
    private void rounds(int e, java.util.function.BiFunction<Integer, Integer, JavaRDD<DataSet>> batches,
                        int[] perPartition, int longest, double lr, long fitStart) {
        // sharing: one fit per epoch (the workers exchange updates after every minibatch, not in rounds)
        int f = sharing ? Math.max(1, longest) : t.averagingFrequency();
        int rounds = (longest + f - 1) / f;
        long[] bytesBefore = sharing ? Sharing.driverBytes() : null;
        long progressEvery = t.lifecycle().progressEverySeconds() * 1_000_000_000L;
        long lastProgress = System.nanoTime();
        targets.publish(network()); // no-op unless the targets were replaced since
        if (costs != null) {
            costs.begin(longest);
        }
        for (int first = 0; first < longest; first += f) {
            long roundStart = System.nanoTime();
            int lo = first;
            int hi = first + f;
            // the driver's count is what its own reads (CoMHE's P step) see; the hook carries it to the workers
            globalStep.roundStartsAt(step + lo);
            network().getConfiguration().setIterationCount((int) (step + lo));
            if (batchMemory) {
                memoryHook.roundStartsFrom(assignment.memory(0));
                memoryCopies.reset();
            }
            Sharing.Round round = sharing ? new Sharing.Round(++sharingRound, lr, threadsPerWorker, lossSum, lossCount)
                    : null;
            if (master instanceof RoundMaster known) {
                known.nextRoundHas(RoundMaster.roundSize(perPartition, lo, hi));
            }
            // GPU executors: each worker's thread on the GPU Spark assigned its task, before DL4J builds its network
            sparkNet.fit(batches.apply(lo, hi)
                    .mapPartitions(it -> {
                        RoundCosts.localClock(); // before DL4J's worker reads its clock
                        if (round != null) {
                            Sharing.enter(round);
                        }
                        return io.protospark.jobs.spark.Gpus.bound(it);
                    }, true));
            long fitEnd = System.nanoTime();
            if (batchMemory) {
                assignment.mergeRound(memoryCopies.value()); // the workers' copies, as the networks are averaged
            }
            // DL4J adds the averaging frequency; a short last round trained fewer steps
            network().getConfiguration().setIterationCount((int) (step + Math.min(hi, longest)));
            io.protospark.model.energy.EnergyRegularizers.advanceProjections(network()); // CoMHE P
            TrainLoop.checkFinite(network(), e, lo / f + 1, rounds, lr);
            long now = System.nanoTime();
            if (costs != null) {
                costs.roundEnded(now - roundStart, now - fitEnd);
            }
            if (progressEvery > 0 && now - lastProgress >= progressEvery && hi < longest) {
                lastProgress = now;
                TrainLoop.progress(e, t.epochs(), lossCount.value(), trainCount, (now - fitStart) / 1e9);
            }
        }
        if (sharing) {
            boolean local = jsc.getConf().get("spark.master", "local[*]").startsWith("local");
            int executors = local ? 1 : Math.max(1, jsc.sc().getExecutorMemoryStatus().size() - 1);
            sharingCosts = Sharing.epochCosts(workers, executors, longest, bytesBefore, Sharing.driverBytes());
        }
    }

    /** Writes epoch {@code em.epoch()}'s checkpoint and applies the retention; returns its name. */
    private String checkpoint(TrainLoop.EpochMetrics em) {
        TrainSettings.Lifecycle life = t.lifecycle();
        long cpStart = System.nanoTime();
        ClassMemory.Ema memory = assignment == null ? null : assignment.currentMemory().orElse(null);
        Checkpoints.State state = new Checkpoints.State(em.epoch(), step, stepsPerEpoch, t.seed(), configSha, dataSha,
                assignment == null ? null : assignment.assignment(), memory == null ? 0 : memory.momentum(),
                memory == null ? null : memory.updateCounts(), em.monitored(life.monitor()), life.monitor(), lrScale);
        String name = Checkpoints.write(run, state, network(), memory, metricsFile.toString());
        List<String> kept = Checkpoints.retain(run, life.keepLast(), life.keepBest(), life.larger());
        double seconds = (System.nanoTime() - cpStart) / 1e9;
        provenance.put("checkpoints", kept.stream().map(n -> Checkpoints.DIR + "/" + n).toList());
        provenance.put("last_checkpoint", Map.of("name", name, "seconds", seconds));
        run.writeText(TrainLoop.PROVENANCE, Json.pretty(provenance));
        LOG.info("checkpoint {} written in {} s; kept {}", name, String.format(Locale.ROOT, "%.2f", seconds), kept);
        return name;
    }
}
