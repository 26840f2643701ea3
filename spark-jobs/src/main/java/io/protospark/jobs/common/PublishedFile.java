package io.protospark.jobs.common;

import io.protospark.data.io.DataFormatException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One output file of a command (a local path or any Hadoop URI), published atomically: written into a hidden
 * temporary file in the target directory, then renamed onto its name, so a reader never sees a partial file (on a file
 * system whose rename cannot replace, an existing output is deleted just before the rename). The temporary file is
 * removed when writing fails.
 */
public final class PublishedFile {
    private static final Logger LOG = LoggerFactory.getLogger(PublishedFile.class);

    /** What writes the file's bytes. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private PublishedFile() {
    }

    /**
     * Writes {@code out} with {@code body}; {@code what} names the content in errors ("the assignment"). An existing
     * directory at {@code out} is refused with a {@link DataFormatException}.
     */
    public static void write(String out, String what, Configuration conf, Body body) {
        Path target = new Path(out);
        try {
            FileSystem fs = target.getFileSystem(conf);
            if (fs instanceof LocalFileSystem lfs) {
                fs = lfs.getRaw(); // no .crc side files next to the output
            }
            Path qualified = fs.makeQualified(target);
            Path dir = qualified.getParent();
            if (dir == null) {
                throw new UncheckedIOException(new IOException(out + ": not a file path"));
            }
            if (fs.exists(qualified) && fs.getFileStatus(qualified).isDirectory()) {
                throw new DataFormatException(out + ": is a directory; expected a file name for " + what);
            }
            fs.mkdirs(dir);
            Path tmp = new Path(dir, "." + qualified.getName() + "." + UUID.randomUUID() + ".tmp");
            boolean published = false;
            try {
                try (FSDataOutputStream raw = fs.create(tmp, false);
                     OutputStream o = new BufferedOutputStream(raw, 1 << 16)) {
                    body.write(o);
                }
                if (fs instanceof RawLocalFileSystem) {
                    java.nio.file.Path from = java.nio.file.Path.of(fs.makeQualified(tmp).toUri());
                    java.nio.file.Path to = java.nio.file.Path.of(qualified.toUri());
                    try {
                        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                    published = true;
                } else {
                    published = fs.rename(tmp, qualified);
                    if (!published && fs.exists(qualified)) {
                        // HDFS and object stores do not rename onto an existing file
                        fs.delete(qualified, false);
                        published = fs.rename(tmp, qualified);
                    }
                    if (!published) {
                        throw new IOException("renaming " + tmp + " to " + qualified + " failed");
                    }
                }
            } finally {
                if (!published) {
                    try {
                        fs.delete(tmp, false);
                    } catch (IOException e) {
                        LOG.warn("cannot delete the temporary file {}: {}", tmp, e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}
