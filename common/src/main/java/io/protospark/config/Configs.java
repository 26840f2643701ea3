package io.protospark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loading and checking protospark configuration (Typesafe Config).
 *
 * <p>Defaults live once, in each module's {@code reference.conf} under {@code protospark.*}; an experiment file
 * and {@code path=value} overrides only override. {@link #load} merges them and refuses any key under
 * {@code protospark} that no {@code reference.conf} declares, naming the closest known key. The typed readers
 * below turn Typesafe's exceptions into {@link SettingsException}s that name key, rule, value and what fits.
 */
public final class Configs {
    /** The root namespace every protospark key lives under. */
    public static final String ROOT = "protospark";

    private Configs() {
    }

    /**
     * Merges overrides, the experiment file's text and the reference defaults, resolves substitutions and
     * checks that every key under {@code protospark} is known.
     *
     * @param experimentText text of a {@code conf/*.conf} file, or {@code null} for none; it may not
     *                       {@code include} other files (there is no file to resolve them against: read a file with
     *                       {@link #parse(ConfigLocation)} and use {@link #load(Config, List)} for that)
     * @param origin         name of that file, used in messages
     * @param overrides      {@code path=value} strings; a path without the {@code protospark.} prefix gets it
     */
    public static Config load(String experimentText, String origin, List<String> overrides) {
        return load(experimentText == null ? null : parse(experimentText, origin), overrides);
    }

    /**
     * As {@link #load(String, String, List)} for an experiment already parsed (for example with
     * {@link #parseFile}, which also follows {@code include "other.conf"} relative to the file).
     */
    public static Config load(Config experiment, List<String> overrides) {
        Config reference = ConfigFactory.defaultReference();
        Config merged = reference;
        if (experiment != null) {
            merged = experiment.withFallback(merged);
        }
        if (overrides != null && !overrides.isEmpty()) {
            merged = parseOverrides(overrides).withFallback(merged);
        }
        try {
            merged = merged.resolve();
        } catch (ConfigException e) {
            throw new SettingsException(pathOf(e), "cannot resolve: " + e.getMessage());
        }
        checkKnownKeys(merged, reference);
        return merged;
    }

    /** Parses override strings such as {@code train.epochs=3} or {@code protospark.model.head.kind=learned}. */
    public static Config parseOverrides(List<String> overrides) {
        Config result = ConfigFactory.empty();
        for (String raw : overrides) {
            int eq = raw.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("override '" + raw + "' is not of the form path=value "
                        + "(for example train.epochs=3)");
            }
            String path = raw.substring(0, eq).trim();
            String value = raw.substring(eq + 1).trim();
            if (!path.startsWith(ROOT + ".")) {
                path = ROOT + "." + path;
            }
            Config one;
            try {
                one = ConfigFactory.parseString(path + " = " + value,
                        ConfigParseOptions.defaults().setOriginDescription("override '" + raw + "'"));
            } catch (ConfigException e) {
                // not HOCON syntax: take the value as a plain string
                one = ConfigFactory.parseMap(Map.of(path, value), "override '" + raw + "'");
            }
            result = one.withFallback(result);
        }
        return result;
    }

    /**
     * Parses a local experiment file; its includes are resolved relative to it and must exist (see
     * {@link #parse(ConfigLocation)}).
     */
    public static Config parseFile(java.io.File file) {
        return parse(ConfigLocation.of(file));
    }

    /**
     * Parses an experiment file wherever it lives, following {@code include "base/x.conf"} relative to the file on
     * the same file system (an included file includes relative to itself in turn). Every include is required: a
     * missing file is an error naming it and the file that includes it, never an empty include.
     *
     * @throws IllegalArgumentException naming the file when it, or a file it includes, cannot be read or parsed
     */
    public static Config parse(ConfigLocation location) {
        try {
            if (!location.exists()) {
                throw new IllegalArgumentException("config file " + location + " does not exist");
            }
            return parseOne(location, ConfigParseOptions.defaults().setAllowMissing(false)
                    .setSyntax(RelativeIncluder.syntaxOf(location.toString())));
        } catch (ConfigException.IO | java.io.IOException e) {
            throw new IllegalArgumentException("cannot read config file " + location + ": " + e.getMessage(), e);
        } catch (ConfigException.Parse e) {
            throw new IllegalArgumentException("cannot parse config file " + location + ": " + e.getMessage(), e);
        }
    }

    private static Config parseOne(ConfigLocation location, ConfigParseOptions options) throws java.io.IOException {
        return location.parse(options.setIncluder(new RelativeIncluder(location, location.toString())));
    }

    private static Config parse(String text, String origin) {
        try {
            return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription(origin)
                    .setIncluder(new RelativeIncluder(null, origin)));
        } catch (ConfigException.IO e) {
            throw new IllegalArgumentException("cannot read config " + origin + ": " + e.getMessage(), e);
        } catch (ConfigException.Parse e) {
            throw new IllegalArgumentException("cannot parse config file " + origin + ": " + e.getMessage(), e);
        }
    }

    private static void leaves(com.typesafe.config.ConfigObject node, List<String> prefix, Set<String> into) {
        for (Map.Entry<String, ConfigValue> e : node.entrySet()) {
            List<String> path = new ArrayList<>(prefix);
            path.add(e.getKey());
            if (e.getValue() instanceof com.typesafe.config.ConfigObject child && !child.isEmpty()) {
                leaves(child, path, into);
            } else {
                into.add(ROOT + "." + com.typesafe.config.ConfigUtil.joinPath(path));
            }
        }
    }

    /** Refuses keys under {@code protospark} that the reference does not declare. */
    public static void checkKnownKeys(Config merged, Config reference) {
        if (!merged.hasPath(ROOT)) {
            return;
        }
        Set<String> known = new TreeSet<>();
        // the reference's leaves including those whose default is null, which Config.entrySet() leaves out
        leaves(reference.getConfig(ROOT).root(), List.of(), known);
        List<String> errors = new ArrayList<>();
        String firstKey = null;
        for (Map.Entry<String, ConfigValue> e : merged.getConfig(ROOT).entrySet()) {
            String path = ROOT + "." + e.getKey();
            if (known.contains(path) || isFreeForm(path, reference)) {
                continue;
            }
            if (firstKey == null) {
                firstKey = path;
            }
            String where = e.getValue().origin() == null ? "" : " (set in " + e.getValue().origin().description() + ")";
            errors.add("config key '" + path + "'" + where + " is not a protospark setting; did you mean '"
                    + closest(path, known) + "'?");
        }
        if (!errors.isEmpty()) {
            throw SettingsException.withMessage(firstKey, String.join("\n", errors));
        }
    }

    /** Objects declared empty in the reference ({@code foo {}}) accept any keys (for example Spark options). */
    private static boolean isFreeForm(String path, Config reference) {
        // walk up by path elements, not by dots: a quoted key such as "spark.executor.memory" is one element
        List<String> elements = com.typesafe.config.ConfigUtil.splitPath(path);
        for (int n = elements.size() - 1; n > 0; n--) {
            String p = com.typesafe.config.ConfigUtil.joinPath(elements.subList(0, n));
            if (reference.hasPathOrNull(p)) {
                ConfigValue v = reference.getValue(p);
                return v.valueType() == ConfigValueType.OBJECT && reference.getConfig(p).isEmpty();
            }
        }
        return false;
    }

    static String closest(String key, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = levenshtein(key.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return best;
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The resolved config rendered as HOCON with comments naming each value's origin, for {@code resolved.conf}. */
    public static String render(Config config) {
        return config.getConfig(ROOT).atPath(ROOT).root()
                .render(ConfigRenderOptions.defaults().setJson(false).setOriginComments(true).setComments(true));
    }

    // ---------------------------------------------------------------- typed readers

    public static int positiveInt(Config c, String path) {
        int v = getInt(c, path);
        if (v <= 0) {
            throw new SettingsException(path, "must be a positive integer", v, "use a value >= 1");
        }
        return v;
    }

    public static int nonNegativeInt(Config c, String path) {
        int v = getInt(c, path);
        if (v < 0) {
            throw new SettingsException(path, "must be >= 0", v, "use 0 or more");
        }
        return v;
    }

    public static int getInt(Config c, String path) {
        try {
            return c.getInt(path);
        } catch (ConfigException.WrongType e) {
            throw wrongType(c, path, "an integer");
        } catch (ConfigException.Missing e) {
            throw missing(path);
        }
    }

    public static long getLong(Config c, String path) {
        try {
            return c.getLong(path);
        } catch (ConfigException.WrongType e) {
            throw wrongType(c, path, "an integer");
        } catch (ConfigException.Missing e) {
            throw missing(path);
        }
    }

    public static double positiveDouble(Config c, String path) {
        double v = getDouble(c, path);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new SettingsException(path, "must be a positive finite number", v, "use a value > 0");
        }
        return v;
    }

    public static double doubleInRange(Config c, String path, double lo, double hi) {
        double v = getDouble(c, path);
        if (!(v >= lo && v <= hi)) {
            throw new SettingsException(path, "must lie in [" + lo + ", " + hi + "]", v,
                    "use a value between " + lo + " and " + hi);
        }
        return v;
    }

    public static double getDouble(Config c, String path) {
        try {
            return c.getDouble(path);
        } catch (ConfigException.WrongType e) {
            throw wrongType(c, path, "a number");
        } catch (ConfigException.Missing e) {
            throw missing(path);
        }
    }

    public static boolean getBoolean(Config c, String path) {
        try {
            return c.getBoolean(path);
        } catch (ConfigException.WrongType e) {
            throw wrongType(c, path, "true or false");
        } catch (ConfigException.Missing e) {
            throw missing(path);
        }
    }

    public static String getString(Config c, String path) {
        try {
            ConfigValue v = c.getValue(path);
            if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
                throw wrongType(c, path, "a string");
            }
            return c.getString(path);
        } catch (ConfigException.Missing e) {
            throw missing(path);
        }
    }

    /**
     * A string that must not be blank (a required path or name): {@code expectation} and {@code hint} are the
     * {@link SettingsException}'s, e.g. "must name a run directory", "set it with --run-dir".
     */
    public static String nonBlank(Config c, String path, String expectation, String hint) {
        String v = getString(c, path);
        if (v.isBlank()) {
            throw new SettingsException(path, expectation, v, hint);
        }
        return v;
    }

    /** A string that must be one of {@code allowed} (compared exactly; the message lists them). */
    public static String oneOf(Config c, String path, Collection<String> allowed) {
        String v = getString(c, path);
        if (!allowed.contains(v)) {
            throw new SettingsException(path, "must be one of " + allowed, v,
                    "did you mean \"" + closest(v, allowed) + "\"?");
        }
        return v;
    }

    /** An enum constant named in lower case with dashes (e.g. {@code learned-softmax}). */
    public static <E extends Enum<E>> E enumValue(Config c, String path, Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(configName(e));
        }
        String v = oneOf(c, path, names);
        return type.getEnumConstants()[names.indexOf(v)];
    }

    /** The config spelling of an enum constant: lower case, underscores as dashes. */
    public static String configName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static SettingsException wrongType(Config c, String path, String expected) {
        Object found;
        try {
            found = c.getValue(path).unwrapped();
        } catch (ConfigException e) {
            found = "?";
        }
        String where = c.getValue(path).origin() == null ? "" : " (set in " + c.getValue(path).origin().description() + ")";
        return new SettingsException(path, "must be " + expected + where, found, null);
    }

    private static SettingsException missing(String path) {
        return new SettingsException(path, "is required but not set", "nothing",
                "set it in the experiment file or as " + path.replaceFirst("^" + ROOT + "\\.", "") + "=VALUE");
    }

    private static String pathOf(ConfigException e) {
        return e.origin() == null ? ROOT : e.origin().description();
    }
}
