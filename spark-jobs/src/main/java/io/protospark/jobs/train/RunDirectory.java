package io.protospark.jobs.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A run's output directory on any Hadoop file system. Every file is published atomically: written aside under a
 * hidden temporary name and renamed into place only when complete, so a reader never sees half a file, and a
 * killed run leaves the previous complete version of each file.
 */
public final class RunDirectory implements java.io.Closeable {
    /** Writes a file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private final FileSystem fs;
    private final Path root;

    private RunDirectory(FileSystem fs, Path root) {
        this.fs = fs;
        this.root = root;
    }

    /**
     * Opens a run directory for a new run: creates it, or accepts it if it exists and is empty.
     *
     * @throws IllegalArgumentException if it exists and is not empty, or is a file (the message names it)
     */
    public static RunDirectory createNew(URI uri, Configuration conf) {
        RunDirectory run = open(uri, conf);
        try {
            if (run.fs.listStatus(run.root).length > 0) {
                run.close();
                throw new IllegalArgumentException("run directory " + run.root + " already holds a run; give a new "
                        + "directory with --run-dir (runs are never overwritten)");
            }
            return run;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a run directory whatever it holds (creating it when missing); what may be done with its content is
     * decided by the caller ({@link Resume}).
     */
    public static RunDirectory open(URI uri, Configuration conf) {
        try {
            Path p = new Path(uri);
            FileSystem fs = FileSystem.newInstance(p.toUri(), conf);
            fs.setWriteChecksum(false);
            p = fs.makeQualified(p);
            if (fs.exists(p)) {
                if (!fs.getFileStatus(p).isDirectory()) {
                    throw new IllegalArgumentException("run directory " + p + " is a file; give a directory with "
                            + "--run-dir");
                }
            } else if (!fs.mkdirs(p)) {
                throw new IOException("mkdirs returned false");
            }
            return new RunDirectory(fs, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + uri + ": " + e.getMessage(), e);
        }
    }

    FileSystem fs() {
        return fs;
    }

    /** The names in the run directory (or in its sub-directory {@code dir}, "" for the root), sorted. */
    public java.util.List<String> list(String dir) {
        Path p = dir.isEmpty() ? root : path(dir);
        try {
            if (!fs.exists(p)) {
                return java.util.List.of();
            }
            return java.util.Arrays.stream(fs.listStatus(p)).map(st -> st.getPath().getName()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code name} (a path below the run directory) in place, not atomically: for files inside a directory that
     * is itself published with one rename ({@link #rename}). Returns the SHA-256 of the bytes written, in hex.
     */
    String writeInPlace(String name, Writer writer) {
        Path target = path(name);
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            try (FSDataOutputStream raw = fs.create(target, true);
                 java.security.DigestOutputStream out = new java.security.DigestOutputStream(raw, sha)) {
                writer.write(out);
                out.flush();
                raw.hsync();
            }
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** Opens {@code name} (a path below the run directory) for reading. */
    java.io.InputStream open(String name) throws IOException {
        return fs.open(path(name));
    }

    /** Creates the directory {@code name} (and its parents) below the run directory. */
    void mkdirs(String name) {
        try {
            if (!fs.mkdirs(path(name))) {
                throw new IOException("mkdirs returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path(name) + ": " + e.getMessage(), e);
        }
    }

    /** Renames {@code from} to {@code to} (both below the run directory; one atomic rename on HDFS and local disks). */
    void rename(String from, String to) {
        try {
            if (!fs.rename(path(from), path(to))) {
                throw new IOException("rename returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + path(from) + " to " + path(to) + ": " + e.getMessage(),
                    e);
        }
    }

    /** Reads a UTF-8 text file of the run directory. */
    public String readText(String name) {
        try (java.io.InputStream in = fs.open(path(name))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        fs.close();
    }

    public Path root() {
        return root;
    }

    public URI uri() {
        return root.toUri();
    }

    public Path path(String name) {
        return new Path(root, name);
    }

    /** Writes {@code name} atomically (replacing an earlier version of it). */
    public void write(String name, Writer writer) {
        Path target = path(name);
        Path tmp = new Path(root, "." + name + ".tmp-" + UUID.randomUUID());
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                writer.write(out);
                out.hsync();
            }
            publish(tmp, name);
        } catch (IOException e) {
            try {
                fs.delete(tmp, false);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Publishes {@code from} (a file or directory written aside below this directory) as {@code to}: one rename when
     * {@code to} does not exist; otherwise the old {@code to} is moved aside first and deleted after the rename, so
     * {@code to} is at every moment either the old or the new version, complete.
     */
    public void replace(String from, String to) {
        try {
            publish(path(from), to);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + path(to) + ": " + e.getMessage(), e);
        }
    }

    /** {@link #replace}'s move: {@code from} becomes {@code to}, an earlier {@code to} moved aside and deleted after. */
    private void publish(Path from, String to) throws IOException {
        Path target = path(to);
        if (fs.exists(target)) {
            Path old = new Path(root, "." + to + ".old-" + UUID.randomUUID());
            if (!fs.rename(target, old)) {
                throw new IOException("cannot move aside " + target);
            }
            if (!fs.rename(from, target)) {
                fs.rename(old, target);
                throw new IOException("cannot rename " + from + " to " + target);
            }
            fs.delete(old, true);
        } else if (!fs.rename(from, target)) {
            throw new IOException("cannot rename " + from + " to " + target);
        }
    }

    /** Whether {@code name} exists in the run directory. */
    public boolean exists(String name) {
        try {
            return fs.exists(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look up " + path(name) + ": " + e.getMessage(), e);
        }
    }

    /** Deletes {@code name} (a file, or a directory with its content) if it exists. */
    public void delete(String name) {
        try {
            fs.delete(path(name), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path(name) + ": " + e.getMessage(), e);
        }
    }

    /** Writes a UTF-8 text file atomically. */
    public void writeText(String name, String text) {
        write(name, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
