package io.protospark.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import org.apache.hadoop.fs.Path;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The settings of {@code protospark prepare}, read from {@code protospark.prepare.*} (defaults in data-prep's
 * {@code reference.conf}). Every construction path validates: a bad value raises a {@link SettingsException}
 * naming the key, the rule and the value.
 *
 * @param format      input format, one of {@link #FORMATS}
 * @param input       directory of the raw input files
 * @param output      directory the prepared data set is published to
 * @param shardSizeMb target uncompressed size of one shard, MiB
 * @param overwrite   whether an existing {@code output} may be replaced
 * @param classes     number of classes
 * @param classNames  one name per class; an empty list becomes "0", "1", ...
 */
public record PrepareSettings(String format, URI input, URI output, double shardSizeMb, boolean overwrite,
                              int classes, List<String> classNames) {
    /** Config prefix of these settings. */
    public static final String PREFIX = "protospark.prepare.";
    public static final String FORMAT = PREFIX + "format";
    public static final String INPUT = PREFIX + "input";
    public static final String OUTPUT = PREFIX + "output";
    public static final String SHARD_SIZE_MB = PREFIX + "shard-size-mb";
    public static final String OVERWRITE = PREFIX + "overwrite";
    public static final String CLASSES = PREFIX + "classes";
    public static final String CLASS_NAMES = PREFIX + "class-names";

    /** The input formats {@code prepare} reads. */
    public static final List<String> FORMATS = List.of("idx");

    public PrepareSettings {
        input = input == null ? null : HadoopPaths.of(input).toUri();
        output = output == null ? null : HadoopPaths.of(output).toUri();
        if (!FORMATS.contains(format)) {
            throw new SettingsException(FORMAT, "must be one of " + FORMATS, format, null);
        }
        if (input == null) {
            throw required(INPUT, "--input");
        }
        if (output == null) {
            throw required(OUTPUT, "--output");
        }
        if (HadoopPaths.of(output).isRoot()) {
            throw new SettingsException(OUTPUT, "must not be a file system root", output.toString(),
                    "name a directory to create, such as " + output.resolve("prepared"));
        }
        if (output.equals(input)) {
            throw new SettingsException(OUTPUT, "must differ from " + INPUT, output.toString(),
                    "name a new directory for the prepared data set");
        }
        if (!(shardSizeMb > 0) || Double.isInfinite(shardSizeMb)) {
            throw new SettingsException(SHARD_SIZE_MB, "must be a positive finite number of MiB", shardSizeMb,
                    "the default is 64");
        }
        if (classes < 1 || classes > 256) {
            throw new SettingsException(CLASSES, "must lie in [1, 256] (IDX labels are unsigned bytes)", classes,
                    "MNIST and Fashion-MNIST have 10");
        }
        if (classNames == null || classNames.isEmpty()) {
            List<String> numbered = new ArrayList<>(classes);
            for (int i = 0; i < classes; i++) {
                numbered.add(Integer.toString(i));
            }
            classNames = List.copyOf(numbered);
        } else {
            classNames = List.copyOf(classNames);
            if (classNames.size() != classes) {
                throw new SettingsException(CLASS_NAMES, "must list exactly one name per class (" + CLASSES + " = "
                        + classes + ")", classNames,
                        "list " + classes + " names, or leave it empty for \"0\", \"1\", ...");
            }
            if (new HashSet<>(classNames).size() != classNames.size()) {
                throw new SettingsException(CLASS_NAMES, "must not repeat a name", classNames, null);
            }
        }
    }

    /** Reads and validates {@code protospark.prepare.*} from the full, merged config. */
    public static PrepareSettings from(Config config) {
        String format = Configs.oneOf(config, FORMAT, FORMATS);
        URI input = uri(config, INPUT, "--input");
        URI output = uri(config, OUTPUT, "--output");
        double shardSizeMb = Configs.positiveDouble(config, SHARD_SIZE_MB);
        boolean overwrite = Configs.getBoolean(config, OVERWRITE);
        int classes = Configs.positiveInt(config, CLASSES);
        List<String> classNames;
        try {
            classNames = config.getStringList(CLASS_NAMES);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(CLASS_NAMES, "must be a list of strings", config.getValue(CLASS_NAMES)
                    .unwrapped(), "for example [\"T-shirt\", \"Trouser\", ...], or [] for \"0\", \"1\", ...");
        } catch (ConfigException.Missing e) {
            throw new SettingsException(CLASS_NAMES, "is required but not set; data-prep's reference.conf declares "
                    + "it, so that file is missing from the class path");
        }
        return new PrepareSettings(format, input, output, shardSizeMb, overwrite, classes, classNames);
    }

    /** Target shard size in bytes. */
    public long shardSizeBytes() {
        return Math.max(1L, (long) (shardSizeMb * 1024 * 1024));
    }

    private static URI uri(Config config, String key, String flag) {
        String value = Configs.getString(config, key).trim();
        if (value.isEmpty()) {
            throw required(key, flag);
        }
        try {
            return new Path(value).toUri();
        } catch (IllegalArgumentException e) {
            throw new SettingsException(key, "must be a URI or path (" + e.getMessage() + ")", value,
                    "for example file:/data/fashion-mnist, hdfs:///data/fashion-mnist or s3a://bucket/fashion-mnist");
        }
    }

    private static SettingsException required(String key, String flag) {
        return new SettingsException(key, "is required but empty", "", "set it with " + flag + " URI (or "
                + key.substring("protospark.".length()) + "=URI)");
    }
}
