package io.protospark.model.io;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Large arrays of a network's configuration kept beside its JSON, as binary entries of {@code model.zip}, instead of
 * inside it. A face-scale target matrix (12,000 × 12,500 doubles, 1.2 GB) would be 1.6 G characters of base64 in the
 * JSON, close to the longest string Java holds; as an entry it is its 1.2 GB of raw doubles.
 *
 * <p>While {@link ModelZip} writes a configuration, a JSON serialiser that meets an array above {@link #INLINE_LIMIT}
 * bytes calls {@link #store} and writes the returned entry name in place of the values; while it reads one, the
 * deserialiser resolves such a name with {@link #load}. Outside of {@link ModelZip} (no context on this thread) every
 * array stays inline, so a configuration's {@code toJson()} alone remains self-contained.
 */
public final class ArrayEntries {
    /** Arrays of more bytes than this (1 MiB) become entries of {@code model.zip}. */
    public static final long INLINE_LIMIT = 1L << 20;
    /** Folder of the entries inside {@code model.zip}. */
    public static final String FOLDER = "protospark/arrays/";

    /** Reads one entry (its name under {@link #FOLDER}) as an array. */
    @FunctionalInterface
    public interface Source {
        INDArray read(String entry) throws IOException;
    }

    private static final ThreadLocal<Map<String, INDArray>> WRITING = new ThreadLocal<>();
    private static final ThreadLocal<Source> READING = new ThreadLocal<>();

    private ArrayEntries() {
    }

    /**
     * The entry that will hold {@code a} when a configuration is being written for {@code model.zip} and {@code a} is
     * larger than {@link #INLINE_LIMIT} bytes; null otherwise (write it inline).
     */
    public static String store(INDArray a, String kind) {
        Map<String, INDArray> sink = WRITING.get();
        if (sink == null || a.length() * a.dataType().width() <= INLINE_LIMIT) {
            return null;
        }
        String entry = FOLDER + kind + "-" + sink.size() + ".npy";
        sink.put(entry, a);
        return entry;
    }

    /** The array stored as {@code entry}, from the {@code model.zip} being read. */
    public static INDArray load(String entry) throws IOException {
        Source source = READING.get();
        if (source == null) {
            throw new IOException("the configuration refers to the array entry " + entry + " of a model.zip; read the "
                    + "model.zip with protospark (ModelZip.read), not its configuration.json alone");
        }
        return source.read(entry);
    }

    @FunctionalInterface
    interface Body<T> {
        T run() throws IOException;
    }

    /** Runs {@code body} (which writes a configuration as JSON) collecting its large arrays into {@code sink}. */
    static <T> T writing(Map<String, INDArray> sink, Body<T> body) throws IOException {
        Map<String, INDArray> before = WRITING.get();
        WRITING.set(sink);
        try {
            return body.run();
        } finally {
            restore(WRITING, before);
        }
    }

    /** Runs {@code body} (which reads a configuration) resolving entry names through {@code source}. */
    static <T> T reading(Source source, Body<T> body) throws IOException {
        Source before = READING.get();
        READING.set(source);
        try {
            return body.run();
        } finally {
            restore(READING, before);
        }
    }

    private static <V> void restore(ThreadLocal<V> local, V before) {
        if (before == null) {
            local.remove();
        } else {
            local.set(before);
        }
    }

    /** A fresh sink in entry order. */
    static Map<String, INDArray> sink() {
        return new LinkedHashMap<>();
    }
}
