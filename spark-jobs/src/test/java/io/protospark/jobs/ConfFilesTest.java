package io.protospark.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.protospark.config.Configs;
import io.protospark.model.net.HeadKind;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The experiment files in {@code conf/} (the files directly in it; {@code conf/base/} holds the shared parts they
 * include and is never an experiment):
 * <ul>
 *   <li>each passes {@code protospark validate}: its keys exist, its values fit, its network builds (from the
 *       configuration, without allocating), and the printed summary names the backbone's embedding and the head
 *       the file asks for; and its training settings parse ({@code TrainJob.Settings}, given a data set and a run
 *       directory);</li>
 *   <li>each resolves, the way the launcher loads {@code --conf} ({@link Main#loadConfig}: the file with its
 *       includes, over every module's {@code reference.conf}), to exactly the configuration recorded in
 *       {@code src/test/resources/resolved-conf/NAME.txt}: every {@code protospark.*} leaf as a sorted
 *       {@code path=value} line. Moving settings between an experiment file and the base files it includes, or
 *       editing a base file, must leave every recording as it is, or the test names the experiments whose
 *       training changed.</li>
 * </ul>
 *
 * <p>To change a resolved configuration on purpose (a new experiment file, a changed recipe, a new or changed
 * default in a {@code reference.conf}), regenerate the recordings and review their diff before committing:
 * <pre>
 *   mvn -B -o -q -pl spark-jobs -am test -Dtest=ConfFilesTest -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dresolved-conf.regenerate=true
 *   git diff spark-jobs/src/test/resources/resolved-conf
 * </pre>
 * Regenerating rewrites every recording from the current files (and removes recordings of deleted experiments);
 * the diff is the change to the experiments' training. (The switch is deliberately not under {@code protospark.}:
 * the reference defaults come from {@code ConfigFactory.defaultReference()}, which lets JVM system properties
 * override them, so a {@code -Dprotospark.*} property would land in every resolved configuration.)
 */
class ConfFilesTest {
    private static final Path CONF = Path.of("..", "conf");
    private static final Path RECORDINGS = Path.of("src", "test", "resources", "resolved-conf");
    private static final String REGENERATE = "resolved-conf.regenerate";

    /** The experiment files: {@code conf/*.conf}, not the base files under {@code conf/base/}. */
    static List<Path> experimentFiles() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(CONF)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".conf"))
                    .sorted().toList();
        }
        assertTrue(files.size() >= 15, "expected the seed experiment files in " + CONF.toAbsolutePath() + ": " + files);
        return files;
    }

    /** The configuration {@code protospark COMMAND --conf FILE} runs with (no overrides). */
    static Config resolve(Path file) throws IOException {
        return Main.loadConfig(CommandLine.parse(new String[]{"validate", "--conf", file.toString()}));
    }

    /**
     * Every leaf under {@code protospark} (nulls and empty objects included) as {@code path=value}, sorted by path,
     * values in HOCON's concise (JSON) form, after a header line naming the file.
     */
    static String render(String name, Config resolved) {
        Map<String, String> lines = new TreeMap<>();
        flatten(List.of(Configs.ROOT), resolved.root().get(Configs.ROOT), lines);
        StringBuilder sb = new StringBuilder("# conf/").append(name)
                .append(" resolved over the reference defaults; regenerate deliberately: ConfFilesTest\n");
        lines.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    private static void flatten(List<String> path, ConfigValue v, Map<String, String> out) {
        if (v.valueType() == ConfigValueType.OBJECT && !((ConfigObject) v).isEmpty()) {
            for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
                List<String> child = new ArrayList<>(path);
                child.add(e.getKey());
                flatten(child, e.getValue(), out);
            }
        } else {
            out.put(ConfigUtil.joinPath(path), v.render(ConfigRenderOptions.concise()));
        }
    }

    private static Path recording(Path conf) {
        String name = conf.getFileName().toString();
        return RECORDINGS.resolve(name.substring(0, name.length() - ".conf".length()) + ".txt");
    }

    @TestFactory
    Stream<DynamicTest> everyConfFileResolvesAsRecorded() throws IOException {
        boolean regenerate = Boolean.getBoolean(REGENERATE);
        List<Path> files = experimentFiles();
        if (regenerate) {
            Files.createDirectories(RECORDINGS);
            try (Stream<Path> s = Files.list(RECORDINGS)) {
                for (Path old : s.filter(p -> p.toString().endsWith(".txt")).toList()) {
                    Files.delete(old);
                }
            }
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String actual = render(f.getFileName().toString(), resolve(f));
            Path recorded = recording(f);
            if (regenerate) {
                Files.writeString(recorded, actual, StandardCharsets.UTF_8);
            }
            assertTrue(Files.isRegularFile(recorded), "no recorded resolution " + recorded.toAbsolutePath() + " of "
                    + f + "; a new experiment file is recorded with -D" + REGENERATE + "=true (see ConfFilesTest)");
            assertEquals(Files.readString(recorded, StandardCharsets.UTF_8), actual, f + " no longer resolves to "
                    + recorded + ": its resolved configuration changed. If that is intended, regenerate with -D" + REGENERATE
                    + "=true and review the diff");
        }));
    }

    @Test
    void everyRecordingBelongsToAnExperimentFile() throws IOException {
        if (Boolean.getBoolean(REGENERATE)) {
            return; // regenerating removes the recordings of deleted experiments
        }
        List<Path> expected = new ArrayList<>();
        for (Path f : experimentFiles()) {
            expected.add(recording(f).getFileName());
        }
        assertTrue(Files.isDirectory(RECORDINGS), "no recordings in " + RECORDINGS.toAbsolutePath());
        try (Stream<Path> s = Files.list(RECORDINGS)) {
            for (Path r : s.map(Path::getFileName).sorted().toList()) {
                assertTrue(expected.contains(r), RECORDINGS.resolve(r) + " records no file of conf/ (deleted or "
                        + "renamed? regenerate with -D" + REGENERATE + "=true)");
            }
        }
    }

    @Test
    void baseFilesAreIncludedButNeverExperiments() throws IOException {
        Path base = CONF.resolve("base");
        if (!Files.isDirectory(base)) {
            return;
        }
        List<Path> experiments = experimentFiles();
        StringBuilder all = new StringBuilder();
        for (Path f : experiments) {
            assertFalse(f.normalize().startsWith(base.normalize()), f + " is a base file, not an experiment");
            all.append(Files.readString(f));
        }
        List<Path> baseFiles;
        try (Stream<Path> s = Files.walk(base)) {
            baseFiles = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path b : baseFiles) {
            String text = Files.readString(b);
            all.append(text);
            assertTrue(b.getFileName().toString().endsWith(".conf"), b + ": conf/base holds only .conf files");
        }
        for (Path b : baseFiles) {
            String rel = CONF.relativize(b).toString().replace('\\', '/');
            String sibling = b.getFileName().toString();
            assertTrue(all.indexOf("\"" + rel + "\"") >= 0 || all.indexOf("\"" + sibling + "\"") >= 0,
                    b + " is included by no experiment file");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyConfFileValidates() throws IOException {
        return experimentFiles().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            Config c = resolve(f);
            CommandRun r = CommandRun.of("validate", "--conf", f.toString());
            assertEquals(0, r.code(), f + ": " + r.err());
            assertTrue(r.out().startsWith("configuration is valid"), r.out());
            // the layer the head receives: the backbone's embedding, or the face revised network's map replacing it
            String feature = c.getBoolean("protospark.model.dam.revised") ? "revised" : "embedding";
            assertTrue(r.out().contains(feature), "no " + feature + " layer in the summary of " + f + ":\n" + r.out());
            if (HeadKind.FIXED == Configs.enumValue(c, "protospark.model.head.kind", HeadKind.class)) {
                int classes = c.getInt("protospark.model.classes");
                assertTrue(r.out().contains("prototypes: ") && r.out().contains("shape " + classes + "x"),
                        f + " should print its " + classes + " prototypes:\n" + r.out());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyConfFileGivesTrainingSettings(@TempDir Path tmp) throws IOException {
        return experimentFiles().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            CommandLine cl = CommandLine.parse(new String[]{"train", "--conf", f.toString(),
                    "--data", tmp.resolve("data").toString(), "--run-dir", tmp.resolve("run").toString()});
            TrainJob.Settings s = TrainJob.Settings.from(Main.loadConfig(cl));
            assertEquals(resolve(f).getInt("protospark.train.epochs"), s.train().epochs(), f.toString());
        }));
    }
}
