package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.NetworkSummary;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.PrototypeSet;
import io.protospark.model.prototype.Prototypes;

/** {@code protospark validate}: checks the configuration, builds the network and describes it; trains nothing. */
public final class ValidateJob {
    private ValidateJob() {
    }

    /** The validated model and its summary. */
    public record Result(ModelSettings model, NetworkSummary summary, PrototypeSet prototypes) {
        public String render() {
            StringBuilder sb = new StringBuilder("configuration is valid\n");
            sb.append(summary.render());
            if (model.head().fixed()) {
                sb.append("prototypes: ").append(prototypes.kind().configName()).append(", shape ")
                        .append(prototypes.classes()).append("x").append(prototypes.dimension()).append('\n');
            }
            return sb.toString();
        }
    }

    public static Result run(Config config) {
        ModelSettings m = ModelSettings.from(config);
        PrototypeSet p = Prototypes.build(m);
        return new Result(m, NetworkSummary.of(Networks.configuration(m, p), m, p), p);
    }
}
