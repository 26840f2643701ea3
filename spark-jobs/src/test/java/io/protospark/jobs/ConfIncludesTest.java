package io.protospark.jobs;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --conf} with {@code include "base/x.conf"}: a local file (how {@code submit/protospark validate} and
 * {@code train} read conf/) and a file on a Hadoop file system resolve their includes relative to themselves, on
 * their own file system; a missing include is an error naming it.
 */
class ConfIncludesTest {
    @TempDir
    Path tmp;

    /** The local disk under another scheme, so that the Hadoop FileSystem route is taken (as for hdfs: or s3a:). */
    public static final class OtherSchemeFileSystem extends RawLocalFileSystem {
        static final String SCHEME = "protospark-test";

        @Override
        public URI getUri() {
            return URI.create(SCHEME + ":///");
        }

        @Override
        public String getScheme() {
            return SCHEME;
        }
    }

    private void writeExperiment() throws IOException {
        Files.createDirectories(tmp.resolve("conf/base"));
        Files.writeString(tmp.resolve("conf/base/augment.conf"),
                "protospark.train.augment { crop-padding = 4, flip = true }\n");
        Files.writeString(tmp.resolve("conf/base/recipe.conf"), "# a base file includes relative to itself\n"
                + "include required(\"augment.conf\")\n"
                + "protospark { model { classes = 10, embedding-dim = 9, head.kind = fixed }, train.epochs = 3 }\n");
        Files.writeString(tmp.resolve("conf/exp.conf"), "include required(\"base/recipe.conf\")\n"
                + "protospark.train.epochs = 5\n");
    }

    private static void assertIncluded(Config c) {
        assertEquals(4, c.getInt("protospark.train.augment.crop-padding"));
        assertEquals(9, c.getInt("protospark.model.embedding-dim"));
        assertEquals(5, c.getInt("protospark.train.epochs"), "the experiment file overrides its base");
    }

    @Test
    void validateFollowsTheIncludesOfALocalFileFromAnyWorkingDirectory() throws IOException {
        writeExperiment();
        CommandRun r = CommandRun.of("validate", "--conf", tmp.resolve("conf/exp.conf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prototypes: simplex, shape 10x9"), r.out());
        assertIncluded(Main.loadConfig(CommandLine.parse(new String[]{"validate", "--conf",
                tmp.resolve("conf/exp.conf").toUri().toString()})));
    }

    @Test
    void aMissingIncludeIsAUsageErrorNamingItAndTheIncludingFile() throws IOException {
        Files.writeString(tmp.resolve("exp.conf"), "include \"base/cifar.conf\"\n");
        CommandRun r = CommandRun.of("validate", "--conf", tmp.resolve("exp.conf").toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains(tmp.resolve("exp.conf").toString())
                && r.err().contains("include \"base/cifar.conf\"")
                && r.err().contains(tmp.resolve("base/cifar.conf") + " does not exist"), r.err());
    }

    @Test
    void aConfOnAHadoopFileSystemIncludesFromItsOwnDirectoryThere() throws IOException {
        writeExperiment();
        Configuration hadoop = new Configuration();
        hadoop.set("fs." + OtherSchemeFileSystem.SCHEME + ".impl", OtherSchemeFileSystem.class.getName());
        hadoop.setBoolean("fs." + OtherSchemeFileSystem.SCHEME + ".impl.disable.cache", true);
        String uri = OtherSchemeFileSystem.SCHEME + "://" + tmp.resolve("conf/exp.conf").toAbsolutePath();
        assertInstanceOf(HadoopConfigLocation.class, Main.confLocation(uri, hadoop));
        Config c = Main.loadConfig(CommandLine.parse(new String[]{"validate", "--conf", uri}), hadoop);
        assertIncluded(c);
        assertTrue(c.getValue("protospark.train.augment.flip").origin().description()
                .contains(OtherSchemeFileSystem.SCHEME + ":" + tmp.resolve("conf/base/augment.conf")),
                c.getValue("protospark.train.augment.flip").origin().description());

        Files.delete(tmp.resolve("conf/base/augment.conf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Main.loadConfig(CommandLine.parse(new String[]{"validate", "--conf", uri}), hadoop));
        assertTrue(e.getMessage().contains("include \"augment.conf\"") && e.getMessage().contains(
                OtherSchemeFileSystem.SCHEME + ":" + tmp.resolve("conf/base/augment.conf") + " does not exist"),
                e.getMessage());
    }
}
