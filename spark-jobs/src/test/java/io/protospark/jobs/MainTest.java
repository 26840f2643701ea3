package io.protospark.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: exit codes and messages, without starting Spark. */
class MainTest {
    @TempDir
    Path tmp;


    @Test
    void validatePrintsTheNetworkAndPrototypes() {
        CommandRun o = CommandRun.of("validate", "--conf", "../conf/fashion-mnist.conf");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("configuration is valid"), o.out());
        assertTrue(o.out().contains("prototypes: simplex, shape 10x9"), o.out());
        assertTrue(o.out().contains("trainable parameters"), o.out());
    }

    @Test
    void impossibleSimplexIsRefusedWithKeyAndFix() {
        CommandRun o = CommandRun.of("validate", "model.embedding-dim=5");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("protospark.model.embedding-dim")
                && o.err().contains("needs embedding-dim = classes - 1 = 9; found 5"), o.err());
    }

    @Test
    void misspeltKeyInAnExperimentFileNamesFileAndSuggestion() throws Exception {
        Path conf = tmp.resolve("exp.conf");
        Files.writeString(conf, "protospark.train {\n  epochs = 2\n  bach-size = 32\n}\n");
        CommandRun o = CommandRun.of("validate", "--conf", conf.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("'protospark.train.bach-size'") && o.err().contains("exp.conf: 3")
                && o.err().contains("did you mean 'protospark.train.batch-size'"), o.err());
    }

    @Test
    void unknownCommandFlagAndMissingConf() {
        CommandRun c = CommandRun.of("trian");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("unknown command 'trian'"), c.err());
        CommandRun f = CommandRun.of("train", "--dta", "x");
        assertEquals(2, f.code());
        assertTrue(f.err().contains("unknown flag --dta for 'train'") && f.err().contains("--data"), f.err());
        CommandRun m = CommandRun.of("validate", "--conf", tmp.resolve("nope.conf").toString());
        assertEquals(2, m.code());
        assertTrue(m.err().contains("nope.conf (--conf) does not exist"), m.err());
        CommandRun t = CommandRun.of("train", "--run-dir", tmp.resolve("r").toString());
        assertEquals(2, t.code());
        assertTrue(t.err().contains("protospark.train.data") && t.err().contains("--data URI"), t.err());
    }

    @Test
    void malformedInputEndsWithExitOneNamingTheFileAndPublishesNothing() throws Exception {
        Path raw = FashionSubset.write(tmp.resolve("raw"), 20, 10);
        Path labels = raw.resolve("train-labels-idx1-ubyte");
        byte[] bytes = Files.readAllBytes(labels);
        bytes[3] = 0x03; // magic 0x00000803 (an image file) where labels (0x00000801) belong
        Files.write(labels, bytes);
        Path out = tmp.resolve("out");
        CommandRun o = CommandRun.of("prepare", "--master", "local[1]", "--format", "idx", "--input", raw.toString(),
                "--output", out.toString());
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("train-labels-idx1-ubyte"), o.err());
        assertTrue(!Files.exists(out), "no output after a failed prepare");
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("_tmp-")), "no temp dir left");
        }
    }

    @Test
    void launcherKnowsExactlyTheJobsCommands() throws Exception {
        String script = Files.readString(Path.of("..", "submit", "protospark"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("readonly COMMANDS='([^']*)'").matcher(script);
        assertTrue(m.find(), "no COMMANDS line in submit/protospark");
        assertEquals(new java.util.TreeSet<>(CommandLine.FLAGS.keySet()),
                new java.util.TreeSet<>(java.util.List.of(m.group(1).split(" "))));
    }
}
