package io.protospark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;

import java.io.File;
import java.io.IOException;

/**
 * Where an experiment file lives (the local disk, or a Hadoop file system in the Spark module), so that
 * {@link Configs#parse(ConfigLocation)} can follow its {@code include "base/x.conf"} statements relative to it, on the
 * same file system, as Typesafe Config does for a local file.
 */
public interface ConfigLocation {
    /**
     * The file an {@code include} names: {@code name} relative to the directory of this file, or as it is when
     * absolute (or a URI this file system understands); {@code null} when this file system cannot name it (the
     * include then goes to Typesafe's default includer, for example a {@code http:} URL).
     */
    ConfigLocation resolve(String name);

    /** Whether the file exists (an include of a file that does not is an error, not an empty include). */
    boolean exists() throws IOException;

    /**
     * Parses this one file with {@code options} (which carry the includer for its own includes and the syntax);
     * includes are not resolved here.
     */
    Config parse(ConfigParseOptions options) throws IOException;

    /** The file's name as messages and value origins show it. */
    @Override
    String toString();

    /** The same string for the same file however it was named (to recognise an include cycle). */
    default String identity() {
        return toString();
    }

    /** A local file. */
    static ConfigLocation of(File file) {
        return new Local(file);
    }

    /** A file on the local disk; includes resolve against its directory, as {@code ConfigFactory.parseFile} does. */
    record Local(File file) implements ConfigLocation {
        @Override
        public ConfigLocation resolve(String name) {
            if (name.matches("[A-Za-z][A-Za-z0-9+.-]+:.*") && !name.startsWith("file:")) {
                return null; // a URL (Typesafe's heuristic include treats those as URLs)
            }
            if (name.startsWith("file:")) {
                try {
                    return new Local(new File(java.net.URI.create(name)));
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
            File f = new File(name);
            if (!f.isAbsolute()) {
                File dir = file.getAbsoluteFile().getParentFile();
                f = new File(dir, name);
            }
            return new Local(f);
        }

        @Override
        public boolean exists() {
            return file.isFile();
        }

        @Override
        public Config parse(ConfigParseOptions options) {
            return ConfigFactory.parseFile(file, options);
        }

        @Override
        public String toString() {
            return file.getPath();
        }

        @Override
        public String identity() {
            return file.toPath().toAbsolutePath().normalize().toString();
        }
    }
}
