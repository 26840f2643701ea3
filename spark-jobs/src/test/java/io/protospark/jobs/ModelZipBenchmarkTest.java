package io.protospark.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.jobs.train.TrainLoop;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What saving and loading a face-scale {@code model.zip} costs: the network of a configuration file (default the DSC
 * face DAM file: IResNet-100, DAM 512 → 12,500, 12,000 × 12,500 DSC centres as targets) with its Adam state, written
 * with {@link TrainLoop#writeModel} to a local file and read back with {@link TrainLoop#readModel}. Prints sizes and
 * seconds; a benchmark, not run by the suite:
 * {@code mvn -o -q -pl spark-jobs test -Dtest=ModelZipBenchmarkTest -Dprotospark.bench=true
 * [-Dprotospark.bench.conf=conf/dsc-face-revised-iresnet100.conf] [-Dprotospark.bench.legacy=true]
 * '-Dtest.jvm.args=${jvm.add.opens} -Xmx10g -Dorg.bytedeco.javacpp.maxbytes=10G
 * -Dorg.bytedeco.javacpp.maxphysicalbytes=21G'} (the DAM file's network, Adam state and targets take about 9 GB
 * off-heap and 3 GB of heap). {@code legacy} also times DL4J's {@code ModelSerializer} on the same network, every
 * array inline in the JSON, as {@code model.zip} was written before.
 */
@EnabledIfSystemProperty(named = "protospark.bench", matches = "true")
class ModelZipBenchmarkTest {
    @Test
    void faceScaleModelZip() throws Exception {
        Path conf = Paths.get(System.getProperty("protospark.bench.conf", "../conf/dsc-face-dam-iresnet100.conf"));
        ModelSettings m = ModelSettings.from(Main.loadConfig(CommandLine.parse(
                new String[]{"validate", "--conf", conf.toString()})));
        long t0 = System.nanoTime();
        ComputationGraph net = Networks.build(m, Prototypes.build(m));
        net.getUpdater(); // the updater state a checkpoint holds
        double build = (System.nanoTime() - t0) / 1e9;
        TargetLoss loss = TargetLosses.find(net).get(0);
        Path file = Files.createTempFile("protospark-bench-model", ".zip");
        try {
            long w0 = System.nanoTime();
            try (OutputStream out = Files.newOutputStream(file)) {
                TrainLoop.writeModel(net, out);
            }
            double write = (System.nanoTime() - w0) / 1e9;
            long configChars;
            long entryBytes = 0;
            try (ZipFile zip = new ZipFile(file.toFile())) {
                configChars = zip.getEntry("configuration.json").getSize();
                for (var e = zip.entries(); e.hasMoreElements(); ) {
                    ZipEntry z = e.nextElement();
                    if (z.getName().startsWith("protospark/arrays/")) {
                        entryBytes += z.getSize();
                    }
                }
            }
            long r0 = System.nanoTime();
            ComputationGraph back;
            try (InputStream in = Files.newInputStream(file)) {
                back = TrainLoop.readModel(in, true);
            }
            double read = (System.nanoTime() - r0) / 1e9;
            assertEquals(loss.getTargets(), TargetLosses.find(back).get(0).getTargets());
            assertEquals(net.params(), back.params());
            assertTrue(entryBytes > 0, "the targets were written inline");
            System.out.printf("model.zip bench: %s%n  %,d parameters, updater state %,d values, targets %d x %d%n"
                            + "  model.zip %,d bytes; configuration.json %,d characters; array entries %,d bytes "
                            + "(uncompressed)%n  build %.1f s, write %.1f s, read %.1f s%n",
                    conf, net.numParams(), net.getUpdater().getStateViewArray().length(), loss.numClasses(),
                    loss.dimension(), Files.size(file), configChars, entryBytes, build, write, read);
            if (Boolean.getBoolean("protospark.bench.legacy")) {
                // the layout before ModelZip: ModelSerializer with every array inline in the JSON
                long l0 = System.nanoTime();
                try (OutputStream out = Files.newOutputStream(file)) {
                    org.deeplearning4j.util.ModelSerializer.writeModel(net, out, true);
                    System.out.printf("  ModelSerializer (targets inline): %,d bytes in %.1f s%n", Files.size(file),
                            (System.nanoTime() - l0) / 1e9);
                } catch (Throwable e) {
                    System.out.printf("  ModelSerializer (targets inline) write failed after %.1f s: %s%n",
                            (System.nanoTime() - l0) / 1e9, e);
                }
                long lr = System.nanoTime();
                try {
                    org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(file.toFile(), true);
                    System.out.printf("  ModelSerializer read back in %.1f s%n", (System.nanoTime() - lr) / 1e9);
                } catch (Throwable e) {
                    System.out.printf("  ModelSerializer read failed after %.1f s: %s%n",
                            (System.nanoTime() - lr) / 1e9, e);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
