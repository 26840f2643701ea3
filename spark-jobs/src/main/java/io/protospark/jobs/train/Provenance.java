package io.protospark.jobs.train;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** Facts about this build and machine recorded beside every run: versions, git revision, job jar, JVM. */
public final class Provenance {
    /** {@code job_jar.sha256} when this class was not loaded from a jar file (the build's classes directories). */
    static final String NOT_A_JAR = "not a jar";

    private Provenance() {
    }

    /**
     * Library versions written by the build into {@code protospark-build.properties}; the git revision the build was
     * made from ({@code protospark-git.properties}, written by git-commit-id-maven-plugin in a git checkout, else
     * "unknown"); the SHA-256 of the job jar this class was loaded from; the JVM and the operating system.
     */
    public static Map<String, String> build() {
        Map<String, String> out = new LinkedHashMap<>();
        Properties p = load("protospark-build.properties");
        p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
        Properties git = load("protospark-git.properties");
        out.put("git.commit", git.getProperty("git.commit.id.full", "unknown"));
        out.put("git.dirty", git.getProperty("git.dirty", "unknown"));
        out.put("job_jar.sha256", JobJar.SHA256);
        out.put("java.version", System.getProperty("java.version"));
        out.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return out;
    }

    /** This JVM's memory limits as one line: the Java heap and ND4J's off-heap limits (javacpp). */
    public static String memoryLimits() {
        long gib = 1L << 30;
        return String.format(Locale.ROOT, "limits: Java heap %.1f GiB (-Xmx), ND4J maxbytes %.1f GiB "
                        + "(-Dorg.bytedeco.javacpp.maxbytes), maxphysicalbytes %.1f GiB "
                        + "(-Dorg.bytedeco.javacpp.maxphysicalbytes, the whole process)",
                Runtime.getRuntime().maxMemory() / (double) gib,
                org.bytedeco.javacpp.Pointer.maxBytes() / (double) gib,
                org.bytedeco.javacpp.Pointer.maxPhysicalBytes() / (double) gib);
    }

    /** The job jar's hash, computed on first use (the shaded jar is some 180 MB: under a second) and kept. */
    private static final class JobJar {
        static final String SHA256 = jarSha256(Provenance.class.getProtectionDomain().getCodeSource());
    }

    /**
     * The SHA-256 (lower-case hex) of the jar file at {@code source}'s location; {@link #NOT_A_JAR} when that location
     * is a directory (classes run from the build's output), "unknown" when there is no location or it cannot be read.
     */
    static String jarSha256(CodeSource source) {
        URL location = source == null ? null : source.getLocation();
        if (location == null || !"file".equals(location.getProtocol())) {
            return "unknown";
        }
        Path path;
        try {
            path = Path.of(location.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return "unknown";
        }
        if (Files.isDirectory(path)) {
            return NOT_A_JAR;
        }
        try {
            return io.protospark.data.shard.Checksums.sha256(org.apache.hadoop.fs.FileSystem.getLocal(
                    new org.apache.hadoop.conf.Configuration()), new org.apache.hadoop.fs.Path(path.toUri()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "unknown";
        }
    }

    private static Properties load(String resource) {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // an unreadable build file leaves the facts unknown; it never stops a run
        }
        return p;
    }
}
