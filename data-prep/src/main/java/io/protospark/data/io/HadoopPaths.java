package io.protospark.data.io;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;

/** Turns user-given URIs into Hadoop paths. */
public final class HadoopPaths {
    private HadoopPaths() {
    }

    /**
     * The Hadoop path of {@code uri} with a trailing slash removed ({@code new Path(URI)} keeps it, and then
     * {@link Path#getName()} is empty). Scheme-less URIs stay relative to the default file system.
     */
    public static Path of(URI uri) {
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        return new Path(uri.getScheme(), uri.getAuthority(), path);
    }

    /**
     * The entries of a format's input directory; a missing directory is a {@link DataFormatException} naming the
     * format and the directory.
     */
    public static FileStatus[] listInput(FileSystem fs, Path root, String format) throws IOException {
        try {
            return fs.listStatus(root);
        } catch (FileNotFoundException e) {
            throw new DataFormatException(format + " input directory not found: " + root);
        }
    }
}
