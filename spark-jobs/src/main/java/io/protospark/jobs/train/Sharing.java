package io.protospark.jobs.train;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train.master = sharing}: DL4J's {@link SharedTrainingMaster}, gradient sharing after Strom (2015),
 * "Scalable distributed DNN training using commodity GPU cloud computing": each worker adds its updates to a residual,
 * sends the elements whose magnitude reached the threshold (as ± threshold, the rest kept) to the others after every
 * minibatch, and applies what it receives. The driver is the root of the Aeron UDP mesh and applies every update too,
 * so its network follows the workers'.
 *
 * <p>What differs from parameter averaging, and how the run copes:
 * <ul>
 *   <li>Each executor builds its network once, from the first fit's broadcast, and keeps it between fits
 *   ({@code SharedTrainingWrapper} is a JVM singleton). Driver-side changes after the first epoch therefore never
 *   reach the workers: {@link TrainSettings#validate} refuses dynamic assignment and rollbacks. The epoch's learning
 *   rate and the native thread count travel in a {@link Round} that each task installs before DL4J's worker runs, and
 *   {@link WorkerListener}, attached to the worker's network, applies them.</li>
 *   <li>DL4J's shared worker runs no {@link org.deeplearning4j.spark.api.TrainingHook}: {@link WorkerListener} sums
 *   the minibatch losses instead.</li>
 *   <li>The fixed head is frozen by its zero learning rate, so its updates are exactly 0: nothing of it is ever
 *   encoded, and it stays bit-identical on every worker and on the driver (a test checks it).</li>
 *   <li>Targets by reference: the loss travels in the broadcast configuration, as with averaging, and each executor
 *   resolves the reference once.</li>
 * </ul>
 */
final class Sharing {
    private static final Logger LOG = LoggerFactory.getLogger(Sharing.class);

    private Sharing() {
    }

    /**
     * The training master of {@code s}: Direct approach (the epoch's minibatches as they are), no repartitioning, no
     * extra caching, as with averaging.
     */
    static SharedTrainingMaster master(TrainSettings.Master s, SparkConf conf, int workers, int rowsPerBatch,
                                       int prefetch, long seed) {
        aeronTimeouts();
        VoidConfiguration aeron = VoidConfiguration.builder()
                .portSupplier(new ExecutorPorts(s.port()))
                .controllerAddress(controller(s, conf))
                .build();
        if (!s.networkMask().isEmpty()) {
            aeron.setNetworkMask(s.networkMask());
        }
        ThresholdAlgorithm threshold = s.adaptive() ? new AdaptiveThresholdAlgorithm(s.threshold())
                : new FixedThresholdAlgorithm(s.threshold());
        return new SharedTrainingMaster.Builder(aeron, workers, threshold, rowsPerBatch)
                .batchSizePerWorker(rowsPerBatch)
                .workersPerNode(s.workersPerNode())
                .workerPrefetchNumBatches(prefetch)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartitionData(Repartition.Never)
                .repartitioner(null) // the epoch's partitions are the workers' shares already
                .storageLevel(null)
                .rngSeed(seed)
                .collectTrainingStats(false) // SharedTrainingMaster returns no statistics in 1.0.0-M2
                .build();
    }

    /** {@code sharing.controller-address}, else spark.driver.host, else this host's address. */
    static String controller(TrainSettings.Master s, SparkConf conf) {
        if (!s.controllerAddress().isEmpty()) {
            return s.controllerAddress();
        }
        String host = conf.get("spark.driver.host", "");
        if (!host.isEmpty()) {
            return host;
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("protospark.train.sharing.controller-address is empty and this host's "
                    + "address is unknown (" + e.getMessage() + "); set it to an address the executors reach", e);
        }
    }

    /**
     * Refuses a cluster whose executors could not announce a reachable address: without a network mask each executor
     * announces 127.0.0.1, which reaches it only from the driver's own host.
     */
    static void checkReachable(TrainSettings.Master s, SparkConf conf) {
        if (conf.get("spark.master", "local").startsWith("local") || !s.networkMask().isEmpty()) {
            return;
        }
        String controller = controller(s, conf);
        boolean loopback;
        try {
            loopback = InetAddress.getByName(controller).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("protospark.train.sharing.controller-address: the driver's address "
                    + controller + " does not resolve (" + e.getMessage() + ")", e);
        }
        if (!loopback) {
            throw new io.protospark.config.SettingsException("protospark.train.sharing.network-mask", "on a cluster "
                    + "whose driver is at " + controller + " (not a loopback address) the executors must announce an "
                    + "address the others reach, found in this subnet", "\"\"",
                    "the executors' subnet, e.g. 10.0.0.0/16");
        }
    }

    /**
     * Bytes the driver's Aeron endpoint sent and received so far (its media driver's system counters), or null when
     * there is no endpoint (local mode never starts one: the driver and the worker share one JVM and one mesh node).
     */
    static long[] driverBytes() {
        try {
            Object transport = ModelParameterServer.getInstance().getTransport();
            if (!(transport instanceof org.nd4j.parameterserver.distributed.v2.transport.impl.AeronUdpTransport)) {
                return null;
            }
            // AeronUdpTransport keeps its Aeron client in a protected field and offers no counters of its own
            java.lang.reflect.Field f = org.nd4j.parameterserver.distributed.v2.transport.impl.AeronUdpTransport.class
                    .getDeclaredField("aeron");
            f.setAccessible(true);
            io.aeron.Aeron a = (io.aeron.Aeron) f.get(transport);
            if (a == null || a.isClosed()) {
                return null;
            }
            org.agrona.concurrent.status.CountersReader counters = a.countersReader();
            return new long[]{
                    counters.getCounterValue(io.aeron.driver.status.SystemCounterDescriptor.BYTES_SENT.id()),
                    counters.getCounterValue(io.aeron.driver.status.SystemCounterDescriptor.BYTES_RECEIVED.id())};
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("no Aeron byte counters: {}", e.toString());
            return null;
        }
    }

    /** The epoch's entry of metrics.jsonl under {@code rounds} for master = sharing. */
    static Map<String, Object> epochCosts(int workers, int executors, long minibatchesPerWorker, long[] before,
                                          long[] after) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("master", "sharing");
        m.put("workers", workers);
        m.put("executors", executors);
        m.put("minibatches_per_worker", minibatchesPerWorker);
        if (after != null) {
            // no endpoint before the epoch: the first fit starts it, and its counters start at 0
            long sent = after[0] - (before == null ? 0 : before[0]);
            long received = after[1] - (before == null ? 0 : before[1]);
            long iterations = Math.max(1, minibatchesPerWorker * workers);
            m.put("driver_bytes_sent", sent);
            m.put("driver_bytes_received", received);
            m.put("driver_bytes_per_iteration", (sent + received) / (double) iterations);
        }
        return m;
    }

    /** Driver: port; executor N: port + 1 + N (executor ids are 0, 1, ... on standalone, YARN and Kubernetes). */
    static final class ExecutorPorts implements PortSupplier {
        private static final long serialVersionUID = 1L;
        private final int port;

        ExecutorPorts(int port) {
            this.port = port;
        }

        @Override
        public int getPort() {
            SparkEnv env = SparkEnv.get();
            String id = env == null ? "driver" : env.executorId();
            if ("driver".equals(id)) {
                return port;
            }
            try {
                return port + 1 + Integer.parseInt(id);
            } catch (NumberFormatException e) {
                return port + 1 + Math.floorMod(id.hashCode(), 256);
            }
        }
    }

    /** What one fit's tasks hand the worker's network: the epoch's rate, native threads, the loss accumulators. */
    record Round(long id, double learningRate, int threads, PartitionSums lossSum, LongAccumulator examples)
            implements Serializable {
    }

    /** The round the network in this JVM trains next (the newest entered). */
    private static volatile Round current;
    /** The round each task thread entered: DL4J trains on the thread of the first task of the round. */
    private static final ThreadLocal<Round> ENTERED = new ThreadLocal<>();
    /** The rounds of the tasks still running, in the order they entered (for DL4J's ParallelWrapper threads). */
    private static final java.util.concurrent.CopyOnWriteArrayList<Map.Entry<Round, org.apache.spark.TaskContext>>
            RUNNING = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Called in every training task before DL4J's worker: the round the network in this JVM trains next. Each task
     * deserialises its own copies of the accumulators, and Spark reports a copy when its task ends. DL4J trains all
     * the JVM's minibatches in the task that came first and lets the others end as soon as their own minibatches were
     * taken, so the losses go into the copies of the task whose thread trains (or, on ParallelWrapper's threads, of
     * the first task still running), never into those of a task that has ended.
     */
    static void enter(Round round) {
        aeronTimeouts();
        current = round;
        ENTERED.set(round);
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task != null) {
            RUNNING.removeIf(e -> e.getValue().isCompleted() || e.getKey().id() != round.id());
            RUNNING.add(Map.entry(round, task));
        }
    }

    /** The round whose accumulators the calling training thread adds to (null outside a round). */
    private static Round accumulating() {
        Round own = ENTERED.get();
        Round now = current;
        if (own != null && now != null && own.id() == now.id()) {
            return own;
        }
        for (Map.Entry<Round, org.apache.spark.TaskContext> e : RUNNING) {
            if (now != null && e.getKey().id() == now.id() && !e.getValue().isCompleted()) {
                return e.getKey();
            }
        }
        return now;
    }

    /**
     * AeronUdpTransport (1.0.0-M2) raises Aeron's client liveness timeout to 30 s, and Aeron's media driver refuses to
     * start unless the publication unblock timeout (default 15 s) exceeds it: every JVM that starts a transport needs
     * the larger value before DL4J launches its embedded media driver. An explicit -D setting is kept.
     */
    static void aeronTimeouts() {
        if (System.getProperty(io.aeron.driver.Configuration.PUBLICATION_UNBLOCK_TIMEOUT_PROP_NAME) == null) {
            System.setProperty(io.aeron.driver.Configuration.PUBLICATION_UNBLOCK_TIMEOUT_PROP_NAME,
                    String.valueOf(java.util.concurrent.TimeUnit.SECONDS.toNanos(60)));
        }
    }

    /**
     * Attached to each executor's network (DL4J copies the master's listeners onto it): before the first step of a
     * round it applies the round's learning rate (not to the fixed head) and native threads on the training thread;
     * after every step it adds the minibatch's loss to the round's accumulators.
     */
    static final class WorkerListener implements TrainingListener, Serializable {
        private static final long serialVersionUID = 1L;
        private transient long applied = Long.MIN_VALUE;
        private transient long rows;

        private void begin(Model model) {
            Round r = current;
            if (r == null || r.id() == applied) {
                return;
            }
            applied = r.id();
            WorkerThreads.apply(r.threads());
            if (!Double.isNaN(r.learningRate()) && model instanceof ComputationGraph g) {
                TrainLoop.setRate(g, r.learningRate());
            }
        }

        @Override
        public void onEpochStart(Model model) {
            begin(model);
        }

        @Override
        public void onForwardPass(Model model, List<INDArray> activations) {
            begin(model);
            rows = activations.isEmpty() ? 0 : activations.get(0).size(0);
        }

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            begin(model);
            rows = activations.isEmpty() ? 0 : activations.values().iterator().next().size(0);
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            Round r = accumulating();
            if (r == null) {
                return;
            }
            long n = rows > 0 ? rows : model.batchSize();
            synchronized (r) {
                r.lossSum().add(model.score() * n);
                r.examples().add(n);
            }
        }

        @Override
        public void onEpochEnd(Model model) {
        }

        @Override
        public void onGradientCalculation(Model model) {
        }

        @Override
        public void onBackwardPass(Model model) {
        }
    }
}
