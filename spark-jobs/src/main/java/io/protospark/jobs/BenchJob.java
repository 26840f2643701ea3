package io.protospark.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.train.WorkerThreads;
import io.protospark.model.backbone.Backbones;
import io.protospark.model.fast.FastLayers;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code protospark bench}: training and inference throughput of one network in this JVM (no Spark), as one JSON line.
 *
 * <p>The network is a {@link Backbones} backbone (or the demo {@code small-cnn} of {@link Networks}) with a softmax
 * cross-entropy head, trained with SGD + Nesterov momentum 0.9 on a fixed random minibatch. After warm-up iterations,
 * every iteration is timed on its own; throughput is the batch size over the median iteration time (robust to other
 * processes on the machine), and the mean over all timed iterations is reported too. FLOPs are counted analytically
 * from the layer shapes DL4J infers (2·k²·c_in·c_out·h·w per convolution, 2·n_in·n_out per dense layer, forward; a
 * training step counts 3× the forward FLOPs: forward, input gradient and weight gradient).
 */
public final class BenchJob {
    private static final Logger LOG = LoggerFactory.getLogger(BenchJob.class);

    static final String P = "protospark.bench.";
    static final String MODEL_KEY = P + "model";
    static final String BATCH_KEY = P + "batch";
    static final String ITERATIONS_KEY = P + "iterations";
    static final String WARMUP_KEY = P + "warmup";
    static final String THREADS_KEY = P + "threads";
    static final String FAST_KEY = P + "fast";
    static final String CHECKPOINT_KEY = P + "checkpoint";

    /** The demo network of the default configuration (Fashion-MNIST 28×28×1, conv 16/32 + dense 128). */
    static final String SMALL_CNN = "small-cnn";

    /** Every bench key with its default; the bench command reads nothing else. */
    private static final Config DEFAULTS = ConfigFactory.parseMap(Map.of(
            MODEL_KEY, "resnet20",
            BATCH_KEY, 64,
            ITERATIONS_KEY, 20,
            WARMUP_KEY, 3,
            THREADS_KEY, 0,
            FAST_KEY, true,
            CHECKPOINT_KEY, false), "bench defaults");

    private BenchJob() {
    }

    /** One benchmark: a network, its input and the measurement settings. */
    public record Settings(String model, int batch, int iterations, int warmup, int threads, boolean fast,
                           boolean checkpoint) {
        /** Reads {@code bench.*} overrides ({@code bench.model=resnet20}, as the command-line flags produce). */
        public static Settings from(List<String> overrides) {
            Config merged = Configs.parseOverrides(overrides).withFallback(DEFAULTS).resolve();
            Configs.checkKnownKeys(merged, DEFAULTS);
            String model = Configs.getString(merged, MODEL_KEY);
            List<String> models = models();
            if (!models.contains(model)) {
                throw new SettingsException(MODEL_KEY, "must be one of " + models, model,
                        "give --model with one of those names");
            }
            return new Settings(model,
                    Configs.positiveInt(merged, BATCH_KEY),
                    Configs.positiveInt(merged, ITERATIONS_KEY),
                    Configs.nonNegativeInt(merged, WARMUP_KEY),
                    Configs.nonNegativeInt(merged, THREADS_KEY),
                    Configs.getBoolean(merged, FAST_KEY),
                    Configs.getBoolean(merged, CHECKPOINT_KEY));
        }
    }

    /** The names {@code --model} accepts: every backbone and {@value #SMALL_CNN}. */
    public static List<String> models() {
        List<String> names = new ArrayList<>(Backbones.names());
        names.add(SMALL_CNN);
        return names;
    }

    /** The measured numbers; {@link #jsonLine()} is what the command prints. */
    public record Result(Settings settings, int threads, boolean oneDnn, int fastLayers, long[] inputShape,
                         int classes, long parameters, double forwardGflopPerImage,
                         double trainImgPerS, double trainImgPerSMean, double inferImgPerS, double inferImgPerSMean,
                         double peakRssMb, double seconds, CheckpointCost checkpoint) {
        public double trainGflops() {
            return 3 * forwardGflopPerImage * trainImgPerS;
        }

        public double inferGflops() {
            return forwardGflopPerImage * inferImgPerS;
        }

        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("impl", "dl4j");
            m.put("model", settings.model());
            m.put("batch", settings.batch());
            m.put("threads", threads);
            m.put("fast", settings.fast());
            m.put("onednn", oneDnn);
            m.put("fast_layers", fastLayers);
            m.put("input", inputShape);
            m.put("classes", classes);
            m.put("params", parameters);
            m.put("iterations", settings.iterations());
            m.put("train_img_per_s", round(trainImgPerS));
            m.put("infer_img_per_s", round(inferImgPerS));
            m.put("train_img_per_s_mean", round(trainImgPerSMean));
            m.put("infer_img_per_s_mean", round(inferImgPerSMean));
            m.put("gflop_per_img_fwd", Math.round(forwardGflopPerImage * 1e6) / 1e6);
            m.put("gflops", round(trainGflops()));
            m.put("infer_gflops", round(inferGflops()));
            m.put("peak_rss_mb", round(peakRssMb));
            m.put("seconds", round(seconds));
            if (checkpoint != null) {
                m.put("checkpoint_bytes", checkpoint.bytes());
                m.put("checkpoint_write_s", round(checkpoint.writeSeconds()));
                m.put("checkpoint_read_verify_s", round(checkpoint.readVerifySeconds()));
            }
            return m;
        }

        public String jsonLine() {
            return Json.line(summary());
        }

        private static double round(double v) {
            return Math.round(v * 1000) / 1000.0;
        }
    }

    /**
     * What a checkpoint's network costs ({@code --checkpoint true}): the {@code model.zip} with the updater state, as
     * a checkpoint writes it (SHA-256 computed while writing, synced to disk), and the time to read it back, hash it
     * and restore the network. The bench network's updater is SGD with momentum (one state array per parameter);
     * Adam's state is twice as large.
     */
    public record CheckpointCost(long bytes, double writeSeconds, double readVerifySeconds) {
    }

    /** The input (channels, height, width) and class count each network is measured at. */
    static long[] inputShape(String model) {
        return switch (model) {
            case "resnet50-imagenet" -> new long[]{3, 224, 224};
            case "iresnet50", "iresnet100" -> new long[]{3, 112, 112};
            case SMALL_CNN -> new long[]{1, 28, 28};
            default -> new long[]{3, 32, 32};
        };
    }

    static int classes(String model) {
        return inputShape(model)[1] > 32 ? 1000 : 10;
    }

    /** Embedding width d given to the backbone: its pooled width where it has one. */
    static int embeddingDim(String model) {
        return switch (model) {
            case "resnet18-cifar" -> 512;
            case "resnet50-cifar", "resnet50-imagenet" -> 2048;
            case "classifier32" -> 128;
            case "lenet-pp" -> 2;
            case "cnn9" -> 256;
            case "iresnet50", "iresnet100" -> 512;
            default -> 64;
        };
    }

    public static Result run(Settings s) {
        long start = System.nanoTime();
        int threads = applyThreads(s.threads());
        long[] shape = inputShape(s.model());
        int classes = classes(s.model());
        // every protospark network is a ComputationGraph taking NCHW input, the demo small-cnn included
        ComputationGraphConfiguration conf = SMALL_CNN.equals(s.model()) ? smallCnn()
                : backboneWithHead(s.model(), shape, classes);
        // counted on the stock configuration: shape inference with an NCHW input type would reset the formats of a
        // channels-last fast graph
        double gflop = forwardFlops(conf, InputType.convolutional(shape[1], shape[2], shape[0])) / 1e9;
        if (s.fast()) {
            conf = FastLayers.convert(conf);
        }
        int fastCount = (int) conf.getVertices().values().stream()
                .filter(v -> v instanceof LayerVertex lv && FastLayers.isFast(lv.getLayerConf().getLayer()))
                .count();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        Nd4j.getRandom().setSeed(1);
        long[] featureShape = {s.batch(), shape[0], shape[1], shape[2]};
        INDArray features = Nd4j.randn(DataType.FLOAT, featureShape);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, s.batch(), classes);
        for (int i = 0; i < s.batch(); i++) {
            labels.putScalar(i, i % classes, 1.0);
        }
        DataSet batch = new DataSet(features, labels);
        LOG.info("bench {}: batch {}, {} threads, fast={} ({} fast layers, oneDNN {}), {} GFLOP/img forward",
                s.model(), s.batch(), threads, s.fast(), fastCount, FastLayers.oneDnnLoaded(), gflop);

        double[] train = time(s, () -> net.fit(batch));
        double[] infer = time(s, () -> output(net, features));
        return new Result(s, threads, FastLayers.oneDnnLoaded(), fastCount, shape, classes, net.numParams(), gflop,
                s.batch() / median(train), s.batch() / mean(train),
                s.batch() / median(infer), s.batch() / mean(infer),
                peakRssMb(), (System.nanoTime() - start) / 1e9, s.checkpoint() ? checkpointCost(net) : null);
    }

    private static CheckpointCost checkpointCost(ComputationGraph net) {
        java.nio.file.Path file = null;
        try {
            file = java.nio.file.Files.createTempFile("protospark-bench-checkpoint", ".zip");
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            long t0 = System.nanoTime();
            try (java.io.FileOutputStream raw = new java.io.FileOutputStream(file.toFile());
                 java.security.DigestOutputStream out = new java.security.DigestOutputStream(
                         new java.io.BufferedOutputStream(raw, 1 << 20), sha)) {
                io.protospark.jobs.train.TrainLoop.writeModel(net, out);
                out.flush();
                raw.getFD().sync();
            }
            String written = java.util.HexFormat.of().formatHex(sha.digest());
            double write = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            java.security.MessageDigest again = java.security.MessageDigest.getInstance("SHA-256");
            try (java.io.InputStream in = new java.security.DigestInputStream(
                    java.nio.file.Files.newInputStream(file), again)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            if (!written.equals(java.util.HexFormat.of().formatHex(again.digest()))) {
                throw new IllegalStateException("the checkpoint read back does not match its hash: " + file);
            }
            try (java.io.InputStream in = new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file),
                    1 << 20)) {
                io.protospark.jobs.train.TrainLoop.readModel(in, true);
            }
            return new CheckpointCost(java.nio.file.Files.size(file), write, (System.nanoTime() - t1) / 1e9);
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot measure the checkpoint: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    /** The named backbone with a learned softmax classifier on its embedding, SGD + Nesterov momentum. */
    static ComputationGraphConfiguration backboneWithHead(String model, long[] shape, int classes) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(42)
                .weightInit(WeightInit.RELU)
                .updater(new Nesterovs(0.01, 0.9))
                .dataType(DataType.FLOAT);
        ComputationGraphConfiguration.GraphBuilder g = Backbones.graph(model, (int) shape[1], (int) shape[2],
                (int) shape[0], embeddingDim(model), base);
        g.addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), Backbones.EMBEDDING);
        return g.setOutputs("head").build();
    }

    /** The default configuration's network (the demo), with a learned softmax head. */
    static ComputationGraphConfiguration smallCnn() {
        Config c = Configs.load((String) null, "defaults", List.of("model.head.kind=learned"));
        return Networks.configuration(ModelSettings.from(c), null);
    }

    private static void output(ComputationGraph net, INDArray features) {
        if (net.outputSingle(false, features).length() == 0) {
            throw new IllegalStateException("empty network output");
        }
    }

    /** Seconds of each timed iteration, after the warm-up. */
    private static double[] time(Settings s, Runnable step) {
        for (int i = 0; i < s.warmup(); i++) {
            step.run();
        }
        double[] seconds = new double[s.iterations()];
        for (int i = 0; i < s.iterations(); i++) {
            long t0 = System.nanoTime();
            step.run();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        return seconds;
    }

    static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /**
     * Sets ND4J's and OpenMP's thread counts (0 = leave the defaults, all cores); returns the count in effect. Must run
     * before the first network is built.
     */
    static int applyThreads(int threads) {
        Nd4j.getExecutioner(); // loads the backend; NativeOpsHolder alone fails before it
        if (threads > 0) {
            WorkerThreads.apply(threads);
            return threads;
        }
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** Forward multiply-add FLOPs (×2) of the convolution and dense layers of a graph, per image. */
    static double forwardFlops(ComputationGraphConfiguration conf, InputType input) {
        Map<String, InputType> out = conf.getLayerActivationTypes(input);
        double flops = 0;
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv) {
                flops += layerFlops(lv.getLayerConf().getLayer(), out.get(e.getKey()));
            }
        }
        return flops;
    }

    private static double layerFlops(Layer layer, InputType output) {
        if (layer instanceof io.protospark.model.sphere.SphereConv sc
                && output instanceof InputType.InputTypeConvolutional o) {
            int[] k = sc.getKernelSize(); // the convolution w·x; the window norms are not counted (as in PyTorch's)
            return 2.0 * k[0] * k[1] * sc.getNIn() * o.getChannels() * o.getHeight() * o.getWidth();
        }
        if (layer instanceof io.protospark.model.sphere.SphereDense sd) {
            return 2.0 * sd.getNIn() * sd.getNOut();
        }
        if (layer instanceof ConvolutionLayer conv && output instanceof InputType.InputTypeConvolutional o) {
            int[] k = conv.getKernelSize();
            double perOutput = (double) k[0] * k[1] * conv.getNIn();
            if (layer instanceof DepthwiseConvolution2D) {
                perOutput = (double) k[0] * k[1];
            } else if (conv.getClass() != ConvolutionLayer.class && !FastLayers.isFast(conv)) {
                return 0; // transposed / separable convolutions do not occur in the benchmarked nets
            }
            return 2 * perOutput * o.getChannels() * o.getHeight() * o.getWidth();
        }
        if (layer instanceof FeedForwardLayer ff && !(layer instanceof ConvolutionLayer)
                && output instanceof InputType.InputTypeFeedForward) {
            return 2.0 * ff.getNIn() * ff.getNOut();
        }
        return 0;
    }

    /** The JVM's peak resident set (VmHWM) in MiB, or NaN where /proc is not available. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String kb = line.substring("VmHWM:".length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no /proc/self/status: {}", e.toString());
        }
        return Double.NaN;
    }
}
