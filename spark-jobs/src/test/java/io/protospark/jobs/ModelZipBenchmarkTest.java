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
 * [-Dprotospark.bench.conf=conf/dsc-face-revised-iresnet100.conf]} (needs about 12 GB of memory besides the heap).
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
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
