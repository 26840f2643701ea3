package io.protospark.jobs.pretrained;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.jobs.common.PublishedFile;
import io.protospark.model.io.ModelZip;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code protospark import}: an InsightFace {@code arcface_torch} IResNet state dict into the network the configuration
 * describes ({@code model.*}: the backbone, and whatever head, DAM or loss the experiment adds, freshly initialised),
 * written as a {@code model.zip} without optimizer state, with the configuration beside it as {@code resolved.conf}
 * (as in a run directory; a directory that already holds one is refused). {@code train.init-from} then starts a
 * fine-tuning run from it (its layers are copied by name); {@code evaluate} and {@code embed} read it as any model.
 */
public final class ImportJob {
    private static final Logger LOG = LoggerFactory.getLogger(ImportJob.class);
    static final String FROM_KEY = "protospark.import.from";
    static final String OUT_KEY = "protospark.import.out";

    /** What to import, and the network it goes into. */
    public record Settings(String from, String out, ModelSettings model, Config resolved) {
        public static Settings from(Config c) {
            String from = Configs.nonBlank(c, FROM_KEY, "is required: the PyTorch state dict to import",
                    "give --from backbone.pth");
            String out = Configs.nonBlank(c, OUT_KEY, "is required: the model.zip to write", "give --out model.zip");
            ModelSettings m = ModelSettings.from(c);
            if (!m.backbone().startsWith("iresnet")) {
                throw new SettingsException("protospark.model.backbone", "must be an IResNet to import an "
                        + "arcface_torch state dict", m.backbone(), "iresnet18, iresnet34, iresnet50 or iresnet100");
            }
            return new Settings(from, out, m, c);
        }
    }

    /** What was written. */
    public record Result(String out, int tensors, long parameters, long networkParameters, List<String> dropped,
                         List<String> notes, double seconds) {
        public String line() {
            return String.format(Locale.ROOT, "imported %d tensors (%,d of the network's %,d parameters) into %s "
                    + "in %.1f s", tensors, parameters, networkParameters, out, seconds)
                    + (dropped.isEmpty() ? "" : "; dropped (no such layer in this network): " + dropped)
                    + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
        }
    }

    private ImportJob() {
    }

    public static Result run(Settings s, Configuration hadoop) {
        long start = System.nanoTime();
        // where it goes first: refused before a large file is read
        Path out = new Path(s.out());
        Path resolved = new Path(out.getParent(), io.protospark.jobs.train.TrainLoop.RESOLVED);
        try {
            if (out.getParent() != null && resolved.getFileSystem(hadoop).exists(resolved)) {
                throw new SettingsException(OUT_KEY, "is in a directory that already holds a "
                        + io.protospark.jobs.train.TrainLoop.RESOLVED + " (a run directory?), which the import "
                        + "would replace", s.out(), "a model.zip in a directory of its own");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot check " + resolved + ": " + e.getMessage(), e);
        }
        Map<String, TorchStateDict.Tensor> sd;
        Path from = new Path(s.from());
        try (InputStream in = from.getFileSystem(hadoop).open(from)) {
            sd = TorchStateDict.read(in, s.from());
        } catch (java.io.FileNotFoundException e) {
            throw new SettingsException(FROM_KEY, "names no file", s.from(), "the path of backbone.pth");
        } catch (IOException e) {
            throw new io.protospark.data.io.DataFormatException(e.getMessage());
        }
        List<String> notes = new java.util.ArrayList<>();
        sd = withoutPrefix(sd, notes);
        Map<String, Long> narrowed = new java.util.TreeMap<>();
        sd.values().stream().filter(t -> !t.dtype().equals("float32") && !t.dtype().startsWith("int"))
                .forEach(t -> narrowed.merge(t.dtype(), 1L, Long::sum));
        narrowed.forEach((dtype, n) -> notes.add(n + " " + dtype + " tensors converted to float32"));
        ComputationGraph net = Networks.build(s.model(), Prototypes.build(s.model()));
        IResNetImport.Report r;
        try {
            r = IResNetImport.apply(sd, net, s.from());
        } catch (IllegalArgumentException e) {
            // the file does not fit the network: a data error (exit 1 with the listing), not a crash
            throw new io.protospark.data.io.DataFormatException(e.getMessage());
        }
        PublishedFile.write(s.out(), "the model", hadoop, o -> ModelZip.write(net, o, false));
        // the model's settings beside it, as a run directory has them: evaluate and embed read the input
        // normalisation, head and decision rule from there
        PublishedFile.write(resolved.toString(), "the model's configuration", hadoop,
                o -> o.write(Configs.render(s.resolved()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Result result = new Result(s.out(), r.tensors(), r.parameters(), net.numParams(), r.dropped(), notes,
                (System.nanoTime() - start) / 1e9);
        LOG.info(result.line());
        return result;
    }

    /** Strips DataParallel's {@code module.} prefix when every key has it. */
    static Map<String, TorchStateDict.Tensor> withoutPrefix(Map<String, TorchStateDict.Tensor> sd, List<String> notes) {
        if (sd.isEmpty() || !sd.keySet().stream().allMatch(k -> k.startsWith("module."))) {
            return sd;
        }
        Map<String, TorchStateDict.Tensor> out = new LinkedHashMap<>();
        sd.forEach((k, v) -> out.put(k.substring("module.".length()), v));
        notes.add("the DataParallel prefix module. was stripped from every key");
        return out;
    }
}
