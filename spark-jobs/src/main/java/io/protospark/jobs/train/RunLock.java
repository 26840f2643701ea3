package io.protospark.jobs.train;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One driver per run directory: {@value #NAME} in the run directory names its owner, and its modification time is the
 * owner's heartbeat, moved forward every {@code timeout / 6} (at most every 10 s) while the driver lives. Another
 * driver is refused while the heartbeat is younger than the timeout; a killed driver's lock (heartbeat older than the
 * timeout) is taken over, with a warning. Clocks of the machines that start drivers must agree to well within the
 * timeout (NTP). The lock is created with {@code overwrite=false}, atomic on HDFS; on a local disk two drivers started
 * in the same millisecond could both win, which the schedulers' own guards ({@code flock}, {@code concurrencyPolicy})
 * prevent.
 */
final class RunLock implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
    static final String NAME = "_lock";

    /** Another live driver holds the run directory. */
    static final class HeldException extends TrainLoop.RunDirectoryInUseException {
        private static final long serialVersionUID = 1L;

        HeldException(String message) {
            super(message);
        }
    }

    private final FileSystem fs;
    private final Path path;
    private final String token;
    private final ScheduledExecutorService heartbeat;

    private RunLock(FileSystem fs, Path path, String token, Duration every) {
        this.fs = fs;
        this.path = path;
        this.token = token;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "protospark-run-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long ms = every.toMillis();
        heartbeat.scheduleAtFixedRate(this::beat, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Takes the run directory's lock, or throws {@link HeldException} naming the owner and the heartbeat's age. */
    static RunLock acquire(RunDirectory run, Duration timeout) {
        FileSystem fs = run.fs();
        Path path = run.path(NAME);
        String token = UUID.randomUUID().toString();
        String owner = ProcessHandle.current().pid() + "@" + host();
        String content = "{\"owner\": \"" + owner + "\", \"token\": \"" + token + "\", \"since\": \""
                + Instant.now() + "\"}\n";
        Duration every = Duration.ofMillis(Math.max(100, Math.min(10_000, timeout.toMillis() / 6)));
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                try (FSDataOutputStream out = fs.create(path, false)) {
                    out.write(content.getBytes(StandardCharsets.UTF_8));
                    out.hsync();
                    LOG.debug("run lock {} taken by {}", path, owner);
                    return new RunLock(fs, path, token, every);
                } catch (FileAlreadyExistsException e) {
                    // below: live or stale
                } catch (IOException e) {
                    if (!fs.exists(path)) {
                        throw e;
                    }
                }
                FileStatus st;
                try {
                    st = fs.getFileStatus(path);
                } catch (java.io.FileNotFoundException gone) {
                    continue; // released between our create and this look: try again
                }
                Duration age = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - st.getModificationTime()));
                String holder = readOwner(fs, path);
                if (age.compareTo(timeout) < 0) {
                    throw new HeldException("run directory " + run.uri() + " is in use by another driver (" + holder
                            + ", heartbeat " + age.toSeconds() + " s ago); wait for it to finish or stop it. A killed "
                            + "driver's lock is taken over once its heartbeat is older than "
                            + "protospark.train.lock-timeout (" + timeout.toSeconds() + " s)");
                }
                LOG.warn("taking over the lock of run directory {} from {}: its heartbeat is {} s old (timeout {} s)",
                        run.uri(), holder, age.toSeconds(), timeout.toSeconds());
                fs.delete(path, false);
            }
            throw new HeldException("run directory " + run.uri() + " is in use by another driver that took its lock "
                    + "as this one took it over");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the lock " + path + ": " + e.getMessage(), e);
        }
    }

    private void beat() {
        try {
            fs.setTimes(path, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot move the heartbeat of run lock {}: {}", path, e.toString());
        }
    }

    /** Stops the heartbeat and removes the lock if it is still this driver's. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            if (fs.exists(path) && readOwner(fs, path).contains(token)) {
                fs.delete(path, false);
            }
        } catch (IOException e) {
            LOG.warn("cannot remove run lock {}: {}", path, e.toString());
        }
    }

    private static String readOwner(FileSystem fs, Path path) {
        try (var in = fs.open(path)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"owner\": \"([^\"]*)\".*\"token\": "
                    + "\"([^\"]*)\".*\"since\": \"([^\"]*)\"").matcher(text);
            return m.find() ? m.group(1) + " since " + m.group(3) + " [" + m.group(2) + "]" : text.trim();
        } catch (IOException e) {
            return "owner unreadable: " + e.getMessage();
        }
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
