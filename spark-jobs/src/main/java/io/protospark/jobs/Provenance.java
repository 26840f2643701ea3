package io.protospark.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
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
