package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.jobs.common.Json;
import io.protospark.jobs.common.PublishedFile;
import io.protospark.jobs.train.TrainSettings;
import io.protospark.model.prototype.PrototypeSet;
import io.protospark.model.prototype.PrototypeSpec;
import io.protospark.model.prototype.Prototypes;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code protospark prototypes}: builds a prototype matrix on the driver (no Spark) from the model's prototype
 * keys, writes it as {@code FILE.npy} (float64) with the JSON sidecar {@code FILE.json}, and reports its quality
 * as one JSON line.
 */
public final class PrototypesJob {
    /** Config key of the output file. */
    public static final String OUT_KEY = "protospark.prototypes.out";
    private static final Logger LOG = LoggerFactory.getLogger(PrototypesJob.class);

    private PrototypesJob() {
    }

    /** What to build and where to write it. */
    public record Settings(PrototypeSpec spec, URI out) {
        public static Settings from(Config c) {
            String out = Configs.nonBlank(c, OUT_KEY, "is required: the .npy file to write", "give --out FILE.npy");
            if (!out.endsWith(".npy")) {
                throw new SettingsException(OUT_KEY, "must name a .npy file (its sidecar is the same name with .json)",
                        out, "use " + out + ".npy");
            }
            PrototypeSpec spec = PrototypeSpec.from(c);
            return new Settings(spec, TrainSettings.toUri(OUT_KEY, out));
        }
    }

    /** The written set, where it went and how long building it took. */
    public record Result(PrototypeSet prototypes, URI out, URI sidecar, double seconds) {
        /** kind, classes, dim, max_cosine, min_cosine, bound, bound_attainable, radius, seconds, out. */
        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", prototypes.kind().configName());
            m.put("classes", prototypes.classes());
            m.put("dim", prototypes.dimension());
            m.put("max_cosine", prototypes.maxCosine());
            m.put("min_cosine", prototypes.minCosine());
            m.put("bound", prototypes.simplexBound());
            m.put("bound_attainable", prototypes.boundAttainable());
            m.put("radius", prototypes.radius());
            m.put("seconds", seconds);
            m.put("out", out.toString());
            return m;
        }

        public String jsonLine() {
            return Json.line(summary());
        }
    }

    public static Result run(Settings s) {
        long start = System.nanoTime();
        LOG.info("building {} prototypes: {} classes in {} dimensions", s.spec().kind().configName(),
                s.spec().classes(), s.spec().dimension());
        PrototypeSet p = Prototypes.build(s.spec());
        double seconds = (System.nanoTime() - start) / 1e9;
        Path npy = new Path(s.out());
        Path sidecar = new Path(npy.getParent(), PrototypeSet.sidecarName(npy.getName()));
        Configuration hadoop = new Configuration();
        PublishedFile.write(npy.toString(), "the prototypes", hadoop, p::writeMatrix);
        PublishedFile.write(sidecar.toString(), "the prototypes' description", hadoop,
                out -> out.write(p.metadataJson().getBytes(StandardCharsets.UTF_8)));
        LOG.info("wrote {} and {}: {}", npy, sidecar, p);
        return new Result(p, s.out(), sidecar.toUri(), seconds);
    }
}
