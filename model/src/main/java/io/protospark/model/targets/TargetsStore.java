package io.protospark.model.targets;

import io.protospark.model.io.Npy;
import io.protospark.model.io.NpyMatrix;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetsRef;
import io.protospark.model.loss.TargetsResolver;
import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Target matrices by reference: the driver writes a target loss's matrix once as a float64 {@code .npy} file named
 * by its SHA-256 ({@link #fileName}, {@link #writeNpy}, {@link #sha256}) and sets a {@link TargetsRef} on the loss;
 * every other JVM resolves the reference here, through a per-JVM cache keyed by the SHA-256, so a matrix is read
 * (through the Hadoop FileSystem API) and verified once per JVM, however many averaging rounds ship the reference.
 *
 * <p>The cache keeps the {@value #KEEP} most recently used matrix: with dynamic assignment each epoch's
 * permutation is a new file and the previous one is never needed again, and at face scale a matrix is 1.2 GB, so
 * the cache holds no second one (a JVM alternating between two matrices would re-read them; training never does).
 * Resolved matrices are shared by every loss
 * of the JVM that resolves the same reference; nothing changes a target matrix in place ({@link TargetLoss} replaces
 * it whole).
 *
 * <p>A target loss read by Java serialisation finds {@link #resolve} through {@link Resolver}, registered in
 * {@code META-INF/services/io.protospark.model.loss.TargetsResolver}.
 */
public final class TargetsStore {
    static final int KEEP = 1;
    private static final Map<String, INDArray> CACHE = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, INDArray> eldest) {
            return size() > KEEP;
        }
    };
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetsStore.class);
    private static long loads;

    private TargetsStore() {
    }

    /** {@code targets-<sha256>.npy}. */
    public static String fileName(String sha256) {
        return "targets-" + sha256 + ".npy";
    }

    /** Writes the loss's current K×d targets as a float64 {@code .npy} file, row by row. */
    public static void writeNpy(TargetLoss loss, OutputStream out) throws IOException {
        INDArray t = loss.targetsView();
        Npy.writeMatrix(out, (int) t.rows(), (int) t.columns(), i -> t.getRow(i).toDoubleVector());
    }

    /** The SHA-256 (hex) of the bytes {@link #writeNpy} writes for the loss's current targets. */
    public static String sha256(TargetLoss loss) {
        MessageDigest md = digest();
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
            writeNpy(loss, out);
        } catch (IOException e) {
            throw new IllegalStateException("hashing in memory cannot fail", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Makes the JVM that wrote a reference's file resolve it without reading the file back: {@code loss} holds the
     * matrix and {@code ref} must describe it.
     */
    public static synchronized void remember(TargetsRef ref, TargetLoss loss) {
        CACHE.put(ref.sha256(), loss.targetsView());
    }

    /**
     * Whether {@code loss} holds, element for element, the matrix this JVM has cached under {@code ref}: then
     * {@code ref} names its file already and the matrix need not be hashed again (an exact comparison is one read
     * of both matrices; the hash serialises the whole matrix).
     */
    public static synchronized boolean holds(TargetLoss loss, TargetsRef ref) {
        INDArray cached = CACHE.get(ref.sha256());
        INDArray t = loss.targetsView();
        return cached != null && java.util.Arrays.equals(cached.shape(), t.shape())
                && cached.dataType() == t.dataType() && cached.equalsWithEps(t, 0.0);
    }

    /**
     * The matrix a reference names: from this JVM's cache, or read once from {@code ref.uri()} through the Hadoop
     * FileSystem API and verified against the reference's SHA-256 and shape.
     *
     * @throws IOException naming the URI when the file cannot be read or does not hold a K×d float matrix, and
     *                     naming the URI and both hashes when its SHA-256 differs from the reference's
     */
    public static synchronized INDArray resolve(TargetsRef ref) throws IOException {
        INDArray cached = CACHE.get(ref.sha256());
        if (cached != null) {
            return cached;
        }
        long start = System.nanoTime();
        INDArray loaded = load(ref);
        loads++;
        LOG.info("read targets file {} ({} x {}, SHA-256 verified) in {} s", ref.uri(), ref.rows(), ref.columns(),
                String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
        CACHE.put(ref.sha256(), loaded);
        return loaded;
    }

    /** {@link #resolve} as the {@link TargetsResolver} of the target losses (found with the ServiceLoader). */
    public static final class Resolver implements TargetsResolver {
        @Override
        public INDArray resolve(TargetsRef ref) throws IOException {
            return TargetsStore.resolve(ref);
        }
    }

    /** Files read by {@link #resolve} in this JVM so far (for tests and logs). */
    public static synchronized long loads() {
        return loads;
    }

    /** Forgets every cached matrix (tests; the next {@link #resolve} reads its file). */
    public static synchronized void clear() {
        CACHE.clear();
    }

    private static INDArray load(TargetsRef ref) throws IOException {
        String name = "targets file " + ref.uri();
        Path path = new Path(ref.uri());
        MessageDigest md = digest();
        NpyMatrix m = null;
        IOException unreadable = null;
        try (InputStream raw = path.getFileSystem(hadoopConfiguration()).open(path);
             InputStream in = new DigestInputStream(new BufferedInputStream(raw, 1 << 20), md)) {
            try {
                m = NpyMatrix.readDoubles(in, name);
            } catch (IOException e) {
                unreadable = e; // a tampered file is reported by its hash first
            }
            in.transferTo(OutputStream.nullOutputStream());
        } catch (FileNotFoundException e) {
            throw new IOException(name + " (SHA-256 " + ref.sha256() + ") cannot be read: no such file; the run "
                    + "directory that holds it must stay readable by every executor while the job runs", e);
        } catch (IOException e) {
            throw new IOException(name + " (SHA-256 " + ref.sha256() + ") cannot be read: " + e.getMessage(), e);
        }
        String found = HexFormat.of().formatHex(md.digest());
        if (!found.equals(ref.sha256())) {
            IOException e = new IOException(name + ": expected SHA-256 " + ref.sha256() + ", found " + found
                    + "; the file was changed or replaced after the run wrote it");
            if (unreadable != null) {
                e.addSuppressed(unreadable);
            }
            throw e;
        }
        if (unreadable != null) {
            throw unreadable;
        }
        if (m.rows() != ref.rows() || m.cols() != ref.columns()) {
            throw new IOException(name + ": holds a " + m.rows() + " x " + m.cols() + " matrix, the reference says "
                    + ref.rows() + " x " + ref.columns());
        }
        return Nd4j.create(m.doubles(), new long[] {m.rows(), m.cols()}, DataType.DOUBLE);
    }

    /** The first {@link HadoopConfigurationSource} that answers, else {@code new Configuration()}. */
    public static Configuration hadoopConfiguration() {
        for (HadoopConfigurationSource source : java.util.ServiceLoader.load(HadoopConfigurationSource.class,
                TargetsStore.class.getClassLoader())) {
            Configuration c = source.configuration();
            if (c != null) {
                return c;
            }
        }
        return new Configuration();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
