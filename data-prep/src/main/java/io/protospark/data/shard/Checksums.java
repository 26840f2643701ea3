package io.protospark.data.shard;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of files read through the Hadoop FileSystem API. */
public final class Checksums {
    private Checksums() {
    }

    /** The SHA-256 of the bytes of {@code file} as stored (not decompressed), as 64 lower-case hex digits. */
    public static String sha256(FileSystem fs, Path file) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(fs.open(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to compute its SHA-256: " + e, e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
