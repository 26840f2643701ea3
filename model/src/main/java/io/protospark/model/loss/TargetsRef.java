package io.protospark.model.loss;

import java.io.Serializable;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a target matrix lives instead of inside the configuration: a float64 {@code .npy} file (Hadoop FileSystem
 * URI), the SHA-256 of its bytes and its shape. A {@link TargetLoss} holding one is Java-serialised as this reference
 * alone; the receiving JVM resolves it through its {@link TargetsResolver} ({@code io.protospark.model.targets}
 * reads and writes the files). The canonical constructor validates, also when a reference is deserialised.
 *
 * @param uri     absolute URI of the {@code .npy} file ({@code file:}, {@code hdfs:}, {@code s3a:} …)
 * @param sha256  SHA-256 of the file's bytes, 64 lower-case hex digits
 * @param rows    K
 * @param columns d
 */
public record TargetsRef(URI uri, String sha256, long rows, long columns) implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public TargetsRef {
        if (uri == null || !uri.isAbsolute()) {
            throw new IllegalArgumentException("targets reference: the URI must be absolute (with a scheme such as "
                    + "file: or hdfs:), got " + uri);
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("targets reference " + uri + ": sha256 must be 64 lower-case hex "
                    + "digits, got " + sha256);
        }
        if (rows < 1 || columns < 1) {
            throw new IllegalArgumentException("targets reference " + uri + ": shape must be K x d with K, d >= 1, "
                    + "got " + rows + " x " + columns);
        }
    }

    /** For provenance.json: uri, sha256, shape. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("uri", uri.toString());
        m.put("sha256", sha256);
        m.put("shape", List.of(rows, columns));
        return m;
    }
}
