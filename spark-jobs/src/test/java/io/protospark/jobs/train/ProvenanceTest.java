package io.protospark.jobs.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What provenance.json's "build" records: the git revision written by the build, and the job jar's hash. */
class ProvenanceTest {
    @TempDir
    Path tmp;

    /**
     * In a git checkout the build writes protospark-git.properties (git-commit-id-maven-plugin, profile git-revision
     * in spark-jobs/pom.xml): the commit is exactly the checkout's HEAD, also in a linked worktree.
     */
    @Test
    void gitCommitIsTheCheckoutsHead() throws Exception {
        String head = git("rev-parse", "HEAD");
        assumeTrue(head != null, "not built in a git checkout (or no git program): the build wrote no git revision");
        Map<String, String> build = Provenance.build();
        String commit = build.get("git.commit");
        assertTrue(commit.matches("[0-9a-f]{40}"), "git.commit is a full commit id: " + commit);
        assertEquals(head, commit, "git.commit is the HEAD of the checkout this module was built in");
        assertTrue(build.get("git.dirty").equals("true") || build.get("git.dirty").equals("false"),
                "git.dirty is true or false: " + build.get("git.dirty"));
    }

    @Test
    void jobJarHashIsNotAJarWhenRunFromClassesDirectories() {
        // the tests load Provenance from target/classes
        assertEquals(Provenance.NOT_A_JAR, Provenance.build().get("job_jar.sha256"));
    }

    @Test
    void jobJarHashIsTheSha256OfTheJarFile() throws Exception {
        byte[] bytes = "not really a jar, but hashed as one".getBytes(StandardCharsets.UTF_8);
        Path jar = Files.write(tmp.resolve("protospark job.jar"), bytes);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(expected, Provenance.jarSha256(codeSource(jar.toUri().toURL())));
        assertEquals(Provenance.NOT_A_JAR, Provenance.jarSha256(codeSource(tmp.toUri().toURL())));
        assertEquals("unknown", Provenance.jarSha256(codeSource(tmp.resolve("gone.jar").toUri().toURL())));
        assertEquals("unknown", Provenance.jarSha256(null));
    }

    private static CodeSource codeSource(URL location) {
        return new CodeSource(location, (Certificate[]) null);
    }

    /** {@code git ARGS} in this module's folder: its output's first line, or null when git fails or is missing. */
    private static String git(String... args) throws InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "git";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process p = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && !out.isEmpty() ? out.lines().findFirst().orElse(null) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
