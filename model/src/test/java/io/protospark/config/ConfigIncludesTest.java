package io.protospark.config;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An experiment file's {@code include}s: relative to the including file, nested, required, clear when missing. */
class ConfigIncludesTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void includesResolveRelativeToTheIncludingFileNotTheWorkingDirectory() throws IOException {
        write("conf/base/input.conf", "protospark.model.input { height = 32, width = 32, channels = 3 }\n");
        write("conf/base/recipe.conf", "include \"input.conf\"\nprotospark.model.classes = 7\n"
                + "protospark.model.embedding-dim = 16\n");
        Path exp = write("conf/exp.conf", "# header\ninclude required(\"base/recipe.conf\")\n"
                + "protospark.model.embedding-dim = 32\n");
        Config c = Configs.load(Configs.parseFile(exp.toFile()), List.of("model.classes=9"));
        assertEquals(32, c.getInt("protospark.model.input.width"));
        assertEquals(3, c.getInt("protospark.model.input.channels"));
        assertEquals(32, c.getInt("protospark.model.embedding-dim"), "the including file overrides its base");
        assertEquals(9, c.getInt("protospark.model.classes"), "overrides win over both");
    }

    @Test
    void aNameWithoutExtensionFindsTheConfFile() throws IOException {
        write("conf/base/x.conf", "protospark.model.classes = 3\n");
        Path exp = write("conf/exp.conf", "include \"base/x\"\n");
        assertEquals(3, Configs.load(Configs.parseFile(exp.toFile()), List.of()).getInt("protospark.model.classes"));
    }

    @Test
    void aMissingIncludeIsAnErrorNamingBothFiles() throws IOException {
        Path exp = write("conf/exp.conf", "include \"base/gone.conf\"\nprotospark.model.classes = 3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.parseFile(exp.toFile()));
        assertTrue(e.getMessage().contains("exp.conf") && e.getMessage().contains("base/gone.conf")
                && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aMissingIncludeOfAnIncludedFileNamesTheIncludedFile() throws IOException {
        write("conf/base/recipe.conf", "include \"nope.conf\"\n");
        Path exp = write("conf/exp.conf", "include \"base/recipe.conf\"\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.parseFile(exp.toFile()));
        assertTrue(e.getMessage().contains("recipe.conf") && e.getMessage().contains(
                dir.resolve("conf/base/nope.conf").toString()), e.getMessage());
    }

    @Test
    void aSyntaxErrorInAnIncludedFileNamesIt() throws IOException {
        write("conf/base/broken.conf", "protospark.model { classes = \n");
        Path exp = write("conf/exp.conf", "include \"base/broken.conf\"\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.parseFile(exp.toFile()));
        assertTrue(e.getMessage().contains("broken.conf"), e.getMessage());
    }

    @Test
    void anIncludeCycleIsAnError() throws IOException {
        write("conf/a.conf", "include \"b.conf\"\n");
        Path b = write("conf/b.conf", "include \"a.conf\"\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.parseFile(b.toFile()));
        assertTrue(e.getMessage().contains("include cycle"), e.getMessage());
    }

    @Test
    void textWithoutAFileRefusesRelativeIncludes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.load("include \"base/x.conf\"\n", "inline.conf", List.of()));
        assertTrue(e.getMessage().contains("inline.conf") && e.getMessage().contains("base/x.conf")
                && e.getMessage().contains("not read from a file"), e.getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Configs.parseFile(dir.resolve("none.conf").toFile()));
        assertTrue(e.getMessage().contains("none.conf") && e.getMessage().contains("does not exist"), e.getMessage());
    }
}
