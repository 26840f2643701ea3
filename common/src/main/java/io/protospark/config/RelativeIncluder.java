package io.protospark.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Follows {@code include "name"} (and {@code include required("name")}) relative to the including file's
 * {@link ConfigLocation}, so that an experiment file's includes resolve the same on the local disk and on a Hadoop
 * file system. Unlike Typesafe's default, every include is required: a file that does not exist is an error naming
 * it, never a silently empty include that would train a different experiment. A name without extension is looked
 * up as {@code name.conf}, {@code name.json}, {@code name.properties} (the first that exists). Includes of
 * {@code file(...)}, {@code classpath(...)} and {@code url(...)} keep Typesafe's meaning (and are required too).
 * Without a location (text parsed from a string) a relative include is refused: it has nothing to be relative to.
 */
final class RelativeIncluder implements ConfigIncluder {
    private static final List<String> EXTENSIONS = List.of(".conf", ".json", ".properties");

    private final ConfigLocation including;
    private final String origin;
    /** The files whose includes led here, outermost first: a file among them again is a cycle. */
    private final List<ConfigLocation> chain;
    private final ConfigIncluder fallback;

    /** The includer of a file at {@code including} ({@code null}: text that was not read from a file). */
    RelativeIncluder(ConfigLocation including, String origin) {
        this(including, origin, including == null ? List.of() : List.of(including), null);
    }

    private RelativeIncluder(ConfigLocation including, String origin, List<ConfigLocation> chain,
                             ConfigIncluder fallback) {
        this.including = including;
        this.origin = origin;
        this.chain = chain;
        this.fallback = fallback;
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this.fallback == fallback ? this : new RelativeIncluder(including, origin, chain, fallback);
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        ConfigParseOptions required = context.parseOptions().setAllowMissing(false);
        ConfigLocation target = including == null ? null : including.resolve(what);
        if (target == null) {
            if (including == null && !what.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
                throw error(what, "an include is resolved relative to the including file, and this configuration "
                        + "was not read from a file", null);
            }
            if (fallback == null) {
                throw error(what, "cannot be resolved", null);
            }
            return fallback.include(context.setParseOptions(required), what);
        }
        List<ConfigLocation> candidates = new ArrayList<>();
        candidates.add(target);
        String lower = what.toLowerCase(Locale.ROOT);
        if (EXTENSIONS.stream().noneMatch(lower::endsWith)) {
            for (String ext : EXTENSIONS) {
                candidates.add(including.resolve(what + ext));
            }
        }
        try {
            for (ConfigLocation c : candidates) {
                if (c.exists()) {
                    String name = c.toString();
                    if (chain.stream().anyMatch(f -> f.identity().equals(c.identity()))) {
                        throw error(what, "include cycle " + String.join(" -> ",
                                chain.stream().map(ConfigLocation::toString).toList()) + " -> " + name, null);
                    }
                    List<ConfigLocation> longer = new ArrayList<>(chain);
                    longer.add(c);
                    ConfigParseOptions options = required.setOriginDescription(null).setSyntax(syntaxOf(name))
                            .setIncluder(new RelativeIncluder(c, name, List.copyOf(longer), null));
                    return c.parse(options).root();
                }
            }
        } catch (IOException e) {
            throw error(what, "cannot read " + target + ": " + e.getMessage(), e);
        }
        throw error(what, target + (candidates.size() > 1 ? " (nor with .conf, .json or .properties)" : "")
                + " does not exist", null);
    }

    private ConfigException error(String what, String message, Throwable cause) {
        return new ConfigException.IO(ConfigOriginFactory.newSimple(origin),
                "include \"" + what + "\": " + message, cause);
    }

    /** The syntax a file name implies, as Typesafe guesses it for a file (HOCON unless .json or .properties). */
    static ConfigSyntax syntaxOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".json") ? ConfigSyntax.JSON
                : lower.endsWith(".properties") ? ConfigSyntax.PROPERTIES : ConfigSyntax.CONF;
    }
}
