package io.protospark.model.energy;

import com.typesafe.config.ConfigFactory;
import io.protospark.model.backbone.Backbones;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CNN-9 (batch 64, 32×32×3, 100 classes, float) training-step time, plain vs MHE vs random-projection CoMHE
 * (d_p 40, n_p 20), the variants interleaved step by step so that load from other processes hits them alike; prints
 * the median of the timed steps and the regularisers' own time (score + apply over the regularised layers). Off by
 * default (a few minutes); run with
 * {@code mvn -o -q -pl model test -Dtest='io.protospark.model.energy.EnergyBenchmarkTest' -Dprotospark.bench=true}
 * ({@code -Dprotospark.bench.steps=N} for N timed steps per variant, default 7).
 */
@EnabledIfSystemProperty(named = "protospark.bench", matches = "true")
class EnergyBenchmarkTest {

    private static final String[] NAMES = {"plain", "MHE (s=2, half-space)", "CoMHE random (d_p 40, n_p 20)"};
    private static final String[] SETTINGS = {
            "",
            "protospark.model.energy { form = \"2\", classifier-layer = head }",
            "protospark.model.energy { form = \"2\", projection = random, classifier-layer = head }"};

    private static ComputationGraph cnn9(String energy) {
        ComputationGraphConfiguration c = Backbones.graph("cnn9", 32, 32, 3, 64,
                        new NeuralNetConfiguration.Builder().seed(1).weightInit(WeightInit.RELU)
                                .dataType(DataType.FLOAT).updater(new Sgd(0.01)))
                .addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(100)
                        .activation(Activation.SOFTMAX).build(), Backbones.EMBEDDING)
                .setOutputs("head").build();
        EnergyRegularizers.attach(c, EnergySettings.from(ConfigFactory.parseString(energy)
                .withFallback(ConfigFactory.defaultReference())));
        ComputationGraph net = new ComputationGraph(c);
        net.init();
        return net;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "n/a";
        }
    }

    /** Milliseconds of the regularisers alone for one step: score then apply on every regularised weight. */
    private static double energyOnly(ComputationGraph net, int iteration) {
        long t = System.nanoTime();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            var rs = l.conf().getLayer().getRegularizationByParam("W");
            if (rs == null) {
                continue;
            }
            INDArray w = l.getParam("W");
            for (var r : rs) {
                if (r instanceof EnergyRegularization e) {
                    INDArray g = Nd4j.zeros(w.dataType(), 1, w.length());
                    e.score(w, iteration, 0);
                    e.apply(w.reshape(w.ordering(), 1, w.length()), g, 0.01, iteration, 0);
                }
            }
        }
        return (System.nanoTime() - t) / 1e6;
    }

    @Test
    void cnn9StepTimes() {
        DataType[] before = {Nd4j.dataType(), Nd4j.defaultFloatingPointType()};
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        try {
            int steps = Integer.getInteger("protospark.bench.steps", 7);
            int batch = 64;
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, 32, 32);
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 100);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, i % 100, 1.0);
            }
            DataSet ds = new DataSet(x, y);
            ComputationGraph[] nets = new ComputationGraph[NAMES.length];
            List<List<Double>> step = new ArrayList<>();
            List<List<Double>> energy = new ArrayList<>();
            for (int v = 0; v < nets.length; v++) {
                nets[v] = cnn9(SETTINGS[v]);
                nets[v].fit(ds); // warm-up
                step.add(new ArrayList<>());
                energy.add(new ArrayList<>());
            }
            String loadBefore = load();
            for (int s = 0; s < steps; s++) {
                for (int v = 0; v < nets.length; v++) {
                    long t = System.nanoTime();
                    nets[v].fit(ds);
                    step.get(v).add((System.nanoTime() - t) / 1e6);
                    assertTrue(Double.isFinite(nets[v].score()), NAMES[v] + " score " + nets[v].score());
                    if (v > 0) {
                        energy.get(v).add(energyOnly(nets[v], 1000 + s));
                    }
                }
            }
            for (int v = 0; v < nets.length; v++) {
                System.out.printf(Locale.ROOT, "BENCH CNN-9 batch %d float, %d steps: %-32s step median %7.0f ms "
                                + "(min %.0f, max %.0f)%s%n", batch, steps, NAMES[v], median(step.get(v)),
                        step.get(v).stream().mapToDouble(d -> d).min().orElse(0),
                        step.get(v).stream().mapToDouble(d -> d).max().orElse(0),
                        v == 0 ? "" : String.format(Locale.ROOT, "; regularisers alone (score + apply) median %.0f ms",
                                median(energy.get(v))));
            }
            System.out.println("BENCH load average before: " + loadBefore + ", after: " + load());
            System.out.println("BENCH raw step ms: " + Arrays.toString(step.toArray()));
        } finally {
            Nd4j.setDefaultDataTypes(before[0], before[1]);
        }
    }

    /** The pre-batching algorithm: one GEMM, then each projection's energy (and gradient) on its own. */
    private static double perProjection(EnergyRegularization r, INDArray w, int iteration, boolean gradient) {
        int k = 20;
        int d = r.projectionDim();
        INDArray all = r.randomProjections(w.columns(), iteration);
        INDArray v = w.mmul(all.transpose());
        double e = 0;
        INDArray dv = gradient ? Nd4j.zeros(DataType.DOUBLE, v.shape()) : null;
        for (int p = 0; p < k; p++) {
            var cols = org.nd4j.linalg.indexing.NDArrayIndex.interval((long) p * d, (long) (p + 1) * d);
            HypersphericalEnergy.Result one = HypersphericalEnergy.compute(
                    v.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), cols), r.form(), r.halfSpace(), gradient);
            e += one.energy();
            if (gradient) {
                dv.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), cols).assign(one.gradient());
            }
        }
        if (gradient) {
            dv.mmul(all).divi(k); // the weights' gradient, formed as apply did
        }
        return e / k;
    }

    /**
     * Random-projection CoMHE on CNN-9-sized layers (neurons × fan-in: 128 × 576, 256 × 1152, 256 × 2304; half-space,
     * d_p 40, n_p 20), one training step's worth of regulariser work: before = the per-projection algorithm with a
     * separate score (energy) and apply (energy + gradient), after = the batched score whose gradient apply reuses.
     * Interleaved in one JVM, so both see the same load.
     */
    @Test
    void randomProjectionRegulariserBeforeAfter() {
        int reps = Integer.getInteger("protospark.bench.steps", 7);
        long[][] sizes = {{128, 576}, {256, 1152}, {256, 2304}};
        List<Double> before = new ArrayList<>();
        List<Double> after = new ArrayList<>();
        Nd4j.getRandom().setSeed(5);
        INDArray[] ws = new INDArray[sizes.length];
        EnergyRegularization[] rs = new EnergyRegularization[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            ws[i] = Nd4j.randn(DataType.DOUBLE, sizes[i][0], sizes[i][1]);
            rs[i] = EnergyRegularization.random(EnergyForm.S2, true, 1.0, (int) sizes[i][0], 40, 20, 345L, i + 2);
        }
        for (int rep = -1; rep < reps; rep++) {
            long t = System.nanoTime();
            double eb = 0;
            for (int i = 0; i < sizes.length; i++) {
                eb += perProjection(rs[i], ws[i], rep + 10, false) + perProjection(rs[i], ws[i], rep + 10, true);
            }
            long mid = System.nanoTime();
            double ea = 0;
            for (int i = 0; i < sizes.length; i++) {
                ea += 2 * rs[i].score(ws[i], rep + 10, 0);
                INDArray g = Nd4j.zeros(DataType.DOUBLE, ws[i].shape());
                rs[i].apply(ws[i], g, 0.01, rep + 10, 0);
            }
            long end = System.nanoTime();
            assertTrue(Math.abs(ea - eb) <= 1e-9 * Math.abs(eb), "same energies: " + ea + " vs " + eb);
            if (rep >= 0) {
                before.add((mid - t) / 1e6);
                after.add((end - mid) / 1e6);
            }
        }
        System.out.printf(Locale.ROOT, "BENCH RP-CoMHE regulariser, 3 CNN-9 layers, score + apply, %d reps: "
                + "per-projection (before) median %.0f ms, batched with score reuse (after) median %.0f ms; load %s%n",
                reps, median(before), median(after), load());
    }
}
