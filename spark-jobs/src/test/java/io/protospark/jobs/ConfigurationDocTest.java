package io.protospark.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md documents exactly the configuration keys the {@code reference.conf} files declare, each
 * with its default.
 *
 * <p>The keys are the leaf paths under {@code protospark} of the merged reference configuration (the
 * {@code reference.conf} of model, data-prep and spark-jobs, as {@link ConfigFactory#defaultReference()} merges them,
 * without the system properties it lays on top, so a {@code -Dprotospark.…} given to the build changes nothing here).
 * A leaf is a value that is not an object, a {@code null} default included, or an empty object such as the free-form
 * {@code protospark.spark {}}. A key is documented by a markdown table row whose first cell is the key in backticks
 * and whose second cell is its default in backticks, rendered as {@link #defaultText} does ({@code `small-cnn`},
 * {@code `""`}, {@code `[16,32]`}, {@code `null`}, {@code `{}`}). The failure message names every missing, extra,
 * repeated or wrong row, and prints a row for each missing key with the meaning taken from the comment above the
 * key in its {@code reference.conf} (the source of the meanings).
 */
class ConfigurationDocTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");
    private static final String ROOT = "protospark";
    /** A key in backticks filling a table cell. */
    private static final Pattern KEY_CELL = Pattern.compile("`(" + ROOT + "(?:\\.[^`\\s]+)?)`");
    /** A cell separator: a pipe not escaped as {@code \|}. */
    private static final Pattern CELL_SEPARATOR = Pattern.compile("(?<!\\\\)\\|");

    @Test
    void documentsEveryReferenceKeyWithItsDefault() throws IOException {
        Map<String, ConfigValue> reference = referenceLeaves();
        assertTrue(reference.size() > 100, "expected the protospark keys of three reference.conf files, found "
                + reference.keySet());

        Map<String, String> documented = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<String> lines = Files.readAllLines(DOC);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (!line.startsWith("|")) {
                continue;
            }
            String[] cells = CELL_SEPARATOR.split(line, -1);
            if (cells.length < 3) {
                continue;
            }
            Matcher key = KEY_CELL.matcher(cells[1].trim());
            if (!key.matches()) {
                continue;
            }
            String where = DOC + ":" + (i + 1);
            if (documented.put(key.group(1), cells[2].trim()) != null) {
                problems.add("documented twice: " + key.group(1) + " (again at " + where + ")");
            }
        }

        TreeSet<String> missing = new TreeSet<>(reference.keySet());
        missing.removeAll(documented.keySet());
        TreeSet<String> extra = new TreeSet<>(documented.keySet());
        extra.removeAll(reference.keySet());
        for (String k : missing) {
            problems.add("not documented: " + k + "; add the row\n    " + row(k, reference));
        }
        for (String k : extra) {
            problems.add("documented but not a key of any reference.conf: " + k);
        }
        documented.forEach((k, cell) -> {
            ConfigValue v = reference.get(k);
            if (v != null && !cell.equals("`" + defaultText(v) + "`")) {
                problems.add("wrong default for " + k + ": the doc says " + cell + ", reference.conf says `"
                        + defaultText(v) + "`");
            }
        });
        assertTrue(problems.isEmpty(), DOC.toAbsolutePath().normalize() + " does not match the reference.conf files ("
                + reference.size() + " keys):\n" + String.join("\n", problems));
    }

    /** Every leaf path under {@code protospark} of the merged reference.conf files, with its value. */
    static Map<String, ConfigValue> referenceLeaves() {
        Config reference = ConfigFactory.parseResources(ConfigurationDocTest.class.getClassLoader(), "reference.conf")
                .resolve();
        Map<String, ConfigValue> leaves = new TreeMap<>();
        collect(List.of(ROOT), reference.getObject(ROOT), leaves);
        return leaves;
    }

    private static void collect(List<String> path, ConfigValue value, Map<String, ConfigValue> leaves) {
        if (value.valueType() == ConfigValueType.OBJECT && !((ConfigObject) value).isEmpty()) {
            for (Map.Entry<String, ConfigValue> e : ((ConfigObject) value).entrySet()) {
                List<String> child = new ArrayList<>(path);
                child.add(e.getKey());
                collect(child, e.getValue(), leaves);
            }
        } else {
            leaves.put(ConfigUtil.joinPath(path), value);
        }
    }

    /** A default as the doc shows it: strings unquoted ({@code ""} when empty), anything else as HOCON renders it. */
    static String defaultText(ConfigValue v) {
        if (v.valueType() == ConfigValueType.STRING) {
            String s = (String) v.unwrapped();
            return s.isEmpty() ? "\"\"" : s;
        }
        return v.render(ConfigRenderOptions.concise());
    }

    /** The table row a key needs: key, default, and the comment above it (or above its nearest commented parent). */
    private static String row(String key, Map<String, ConfigValue> reference) {
        Config all = ConfigFactory.parseResources(ConfigurationDocTest.class.getClassLoader(), "reference.conf");
        List<String> path = new ArrayList<>(ConfigUtil.splitPath(key));
        List<String> comments = reference.get(key).origin().comments();
        while (comments.isEmpty() && path.size() > 1) {
            path.remove(path.size() - 1);
            comments = all.getValue(ConfigUtil.joinPath(path)).origin().comments();
        }
        String meaning = String.join(" ", comments.stream().map(String::trim).toList()).replace("|", "\\|");
        return "| `" + key + "` | `" + defaultText(reference.get(key)) + "` | " + meaning + " |";
    }
}
