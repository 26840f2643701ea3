package io.protospark.jobs.train;

import io.protospark.config.Configs;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import org.apache.spark.SparkConf;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.targets.TargetsStore;
import io.protospark.model.net.FixedHead;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bytes of an averaging round, and the native threads each worker gets. */
class RoundBytesTest {
    @TempDir
    Path tmp;

    private static ComputationGraph net(String... overrides) {
        return netOf(null, overrides);
    }

    private static ComputationGraph netOf(String confText, String... overrides) {
        ModelSettings s = ModelSettings.from(Configs.load(confText, "conf", List.of(overrides)));
        return Networks.build(s, Prototypes.build(s));
    }

    /** What TrainJob does before the first round: the targets into the run directory, a reference on the loss. */
    private static void publish(ComputationGraph net, Path runDir, long inlineUpTo) {
        try (RunDirectory run = RunDirectory.createNew(runDir.toUri(), new Configuration())) {
            new TargetsPublisher(run, inlineUpTo).publish(net);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String line(String what, RoundBytes b) {
        return String.format(Locale.ROOT, "%-58s broadcast %,14d  configuration %,14d  fixed %,14d  file %,12d",
                what, b.broadcast(), b.configuration(), b.fixed(), b.targetsFileBytes());
    }

    @Test
    void roundCarriesParametersBothWaysAndTheFixedPrototypesInTheRightPlace() {
        ComputationGraph head = net();
        RoundBytes b = RoundBytes.of(head);
        long paramBytes = head.numParams() * 4;
        // the broadcast holds configuration + parameters + updater state; each result parameters + updater state
        assertTrue(b.broadcast() > b.configuration() + paramBytes, b.toString());
        assertTrue(b.resultPerWorker() > paramBytes, b.toString());
        assertEquals(10 * 9 * 4, b.fixed(), "simplex 10 x 9 in float, inside the parameters");
        assertEquals(b.broadcast() + 3 * b.resultPerWorker(), b.perRound(3, 1));

        // a target loss carries its (double) targets in the configuration instead
        RoundBytes t = RoundBytes.of(net("model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres"));
        assertTrue(t.fixed() >= 10 * 9 * 8, t.toString());
        assertTrue(t.configuration() > t.fixed(), t.toString());
    }

    @Test
    void workersShareTheCoresInLocalModeAndTakeTheTaskCpusOnACluster() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.max(1, cores / Math.min(2, cores)),
                WorkerThreads.auto(new SparkConf().setMaster("local[" + cores + "]"), Math.min(2, cores)));
        assertEquals(cores, WorkerThreads.auto(new SparkConf().setMaster("local[4]"), 1));
        assertEquals(Math.max(1, cores / 2), WorkerThreads.auto(new SparkConf().setMaster("local[2]"), 8));
        assertEquals(cores, WorkerThreads.auto(new SparkConf().setMaster("local"), 4));
        assertEquals(4, WorkerThreads.auto(new SparkConf().setMaster("spark://h:7077").set("spark.task.cpus", "4"), 8));
        assertEquals(1, WorkerThreads.auto(new SparkConf().setMaster("yarn"), 8));
    }

    /**
     * Face-shaped target loss (DSC's Nirvana MSE on K centres in d dimensions) on a small MLP at two sizes: inline, the
     * configuration grows by 8·K·d bytes per round; by reference it stays the same few kilobytes. Prints the numbers
     * and the extrapolation to the face fine-tuning's K = 12,000, d = 12,500.
     */
    @Test
    void targetsByReferenceKeepTheConfigurationFromGrowingWithKd() throws Exception {
        long[][] sizes = {{200, 250}, {2000, 2500}};
        RoundBytes[] inline = new RoundBytes[2];
        RoundBytes[] byRef = new RoundBytes[2];
        for (int i = 0; i < 2; i++) {
            long k = sizes[i][0];
            long d = sizes[i][1];
            ComputationGraph net = net("model.backbone=mlp", "model.hidden=[32]", "model.classes=" + k,
                    "model.embedding-dim=" + d, "model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres",
                    "model.head.radius=1000");
            inline[i] = RoundBytes.of(net);
            Path dir = tmp.resolve("run-" + k);
            publish(net, dir, 65536);
            byRef[i] = RoundBytes.of(net);
            TargetLoss loss = TargetLosses.find(net).get(0);
            Path file = Path.of(loss.targetsRef().uri());
            assertEquals(dir.resolve(TargetsStore.fileName(loss.targetsRef().sha256())), file);
            assertEquals(Files.size(file), byRef[i].targetsFileBytes(), "the .npy size RoundBytes reports");
            System.out.println(line("K=" + k + " d=" + d + " inline (before)", inline[i]));
            System.out.println(line("K=" + k + " d=" + d + " by reference (after)", byRef[i]));
        }
        long grew = (sizes[1][0] * sizes[1][1] - sizes[0][0] * sizes[0][1]) * 8;
        assertTrue(inline[1].configuration() - inline[0].configuration() >= grew, "inline grows by 8 K d");
        assertTrue(Math.abs(byRef[1].configuration() - byRef[0].configuration()) < 1_000,
                "by reference the configuration does not grow with K x d: " + byRef[0] + " " + byRef[1]);
        assertTrue(byRef[1].configuration() < 50_000, byRef[1].toString());
        assertTrue(byRef[1].fixed() < 1_000, byRef[1].toString());
        assertTrue(inline[1].broadcast() - byRef[1].broadcast() >= 8L * 2000 * 2500, "the matrix left the broadcast");

        // the formula, fitted on the two sizes: configuration = a + b K d
        double b = (double) (inline[1].configuration() - inline[0].configuration()) / (2000 * 2500 - 200 * 250);
        double a = inline[1].configuration() - b * 2000 * 2500;
        long face = 12_000L * 12_500;
        System.out.println(String.format(Locale.ROOT, "configuration inline = %.0f + %.4f K d bytes; at K=12000 "
                        + "d=12500: %,.0f bytes per round per executor inline, %,d by reference (file %,d bytes, read "
                        + "once per executor JVM per matrix)", a, b, a + b * face, byRef[1].configuration(),
                RoundBytes.npyBytes(12_000, 12_500)));
    }

    /** The main Fashion-MNIST job (conf/fashion-mnist.conf): its fixed head keeps the prototypes in the parameters. */
    @Test
    void mainJobRoundBeforeAndAfter() throws Exception {
        String main = Files.readString(Path.of("..", "conf", "fashion-mnist.conf"));
        RoundBytes head = RoundBytes.of(netOf(main));
        System.out.println(line("fashion-mnist.conf (fixed simplex head)", head));
        assertEquals(0, head.targetsFileBytes(), "no target loss: nothing to reference");
        assertEquals(10 * 9 * 4, head.fixed());

        // the same network with a target loss: 10 x 9 doubles stay inline under the default threshold
        ComputationGraph target = netOf(main, "model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres");
        RoundBytes before = RoundBytes.of(target);
        publish(target, tmp.resolve("run-default"), 65536);
        assertEquals(before, RoundBytes.of(target), "720 bytes of targets stay inline");
        publish(target, tmp.resolve("run-zero"), 0);
        RoundBytes forced = RoundBytes.of(target);
        System.out.println(line("fashion-mnist.conf + nirvana-mse, inline (default)", before));
        System.out.println(line("fashion-mnist.conf + nirvana-mse, inline-up-to=0", forced));
        assertTrue(forced.targetsFileBytes() > 0, forced.toString());
    }

    /**
     * The worker's side of a round in another JVM: the broadcast tuple deserialised with an empty cache resolves the
     * targets from the file, once, bit for bit, and the rebuilt network scores like the driver's.
     */
    @Test
    void aBroadcastByReferenceRebuildsTheSameNetworkOnTheWorker() throws Exception {
        ComputationGraph net = net("model.backbone=mlp", "model.hidden=[16]", "model.head.loss=nirvana-mse",
                "model.head.prototypes=dsc-centres", "model.head.radius=5");
        publish(net, tmp.resolve("run-worker"), 0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new NetBroadcastTuple(net.getConfiguration(), net.params(),
                    net.getUpdater().getStateViewArray()));
        }
        TargetsStore.clear();
        long loads = TargetsStore.loads();
        NetBroadcastTuple tuple;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            tuple = (NetBroadcastTuple) in.readObject();
        }
        assertEquals(loads + 1, TargetsStore.loads(), "the targets file was read once");
        ComputationGraph worker = new ComputationGraph(tuple.getGraphConfiguration().clone());
        worker.init(tuple.getParameters().dup(), false);
        double[][] driver = FixedHead.read(net);
        double[][] there = FixedHead.read(worker);
        for (int k = 0; k < driver.length; k++) {
            for (int j = 0; j < driver[k].length; j++) {
                assertEquals(Double.doubleToRawLongBits(driver[k][j]), Double.doubleToRawLongBits(there[k][j]));
            }
        }
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 1, 28, 28);
        INDArray y = Nd4j.eye(10).getRows(0, 3, 5, 9).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        org.nd4j.linalg.dataset.DataSet ds = new org.nd4j.linalg.dataset.DataSet(x, y);
        assertEquals(net.score(ds), worker.score(ds), 0.0);
    }
}
