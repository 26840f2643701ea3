package io.protospark.data;

import org.apache.hadoop.fs.Path;

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
}
