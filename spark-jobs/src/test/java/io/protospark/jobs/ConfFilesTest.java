package io.protospark.jobs;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every experiment file in conf/ passes {@code protospark validate}: its keys exist, its values fit, its network
 * builds (from the configuration, without allocating), and the printed summary names the backbone's embedding and
 * the head the file asks for.
 */
class ConfFilesTest {
    private static final Path CONF = Path.of("..", "conf");

    @TestFactory
    Stream<DynamicTest> everyConfFileValidates() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(CONF)) {
            files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
        assertTrue(files.size() >= 15, "expected the seed experiment files in " + CONF.toAbsolutePath() + ": " + files);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String text = Files.readString(f);
            CommandRun r = CommandRun.of("validate", "--conf", f.toString());
            assertEquals(0, r.code(), f + ": " + r.err());
            assertTrue(r.out().startsWith("configuration is valid"), r.out());
            // the layer the head receives: the backbone's embedding, or the face revised network's map replacing it
            String feature = text.contains("revised = true") ? "revised" : "embedding";
            assertTrue(r.out().contains(feature), "no " + feature + " layer in the summary of " + f + ":\n" + r.out());
            Matcher classes = Pattern.compile("classes = (\\d+)").matcher(text);
            if (classes.find() && text.contains("kind = fixed")) {
                assertTrue(r.out().contains("prototypes: ") && r.out().contains("shape " + classes.group(1) + "x"),
                        f + " should print its " + classes.group(1) + " prototypes:\n" + r.out());
            }
        }));
    }
}
