package io.protospark.jobs.train;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** Facts about this build and machine recorded beside every run: versions, git revision, JVM. */
public final class Provenance {
    private Provenance() {
    }

    /** Library versions written by the build into {@code protospark-build.properties}, and the git revision. */
    public static Map<String, String> build() {
        Map<String, String> out = new LinkedHashMap<>();
        Properties p = load("protospark-build.properties");
        p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
        Properties git = load("protospark-git.properties");
        out.put("git.commit", git.getProperty("git.commit.id.full", "unknown"));
        out.put("git.dirty", git.getProperty("git.dirty", "unknown"));
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
