package io.protospark.model.prototype;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.protospark.model.io.Npy;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A fixed K×d prototype matrix (row k belongs to class k) with how it was made and how well spread it is.
 *
 * <p>Immutable: every accessor returns a copy. Saved with every model as {@code prototypes.npy} (float64) so
 * users can inspect it with NumPy; {@link #maxCosine()} and {@link #minCosine()} report its quality against the
 * simplex bound −1/(K−1), the best any K unit vectors can reach.
 *
 * <p>Beside the matrix it carries how it was made: the {@link #parameters()} of its construction (radius,
 * estimation objective and iterations, ...) and the {@link #seed()} of any random step. {@link #write(Path)} saves
 * the matrix as {@code NAME.npy} and that metadata with the quality statistics as the JSON sidecar
 * {@code NAME.json}; {@link #read(Path)} reads both back.
 */
public final class PrototypeSet {
    /** The {@code format} field of every sidecar. */
    public static final String FORMAT = "protospark-prototypes";
    /** The sidecar layout version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private final PrototypeKind kind;
    private final double[][] rows;
    private final Map<String, Object> parameters;
    private final OptionalLong seed;
    /** {min, max} pairwise cosine, computed on first use (K²·d work: minutes at face scale if done naively). */
    private volatile double[] cosineRange;

    private PrototypeSet(PrototypeKind kind, double[][] rows) {
        this(kind, rows, Map.of(), OptionalLong.empty());
    }

    private PrototypeSet(PrototypeKind kind, double[][] rows, Map<String, ?> parameters, OptionalLong seed) {
        this(kind, rows, parameters, seed, true);
    }

    /** @param copy whether to copy the rows (false: the caller hands them over, as the constructions do) */
    private PrototypeSet(PrototypeKind kind, double[][] rows, Map<String, ?> parameters, OptionalLong seed,
                         boolean copy) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.parameters = normaliseParameters(parameters);
        this.seed = Objects.requireNonNull(seed, "seed");
        if (rows.length < 2) {
            throw new IllegalArgumentException("a prototype set needs at least 2 rows, got " + rows.length);
        }
        int d = rows[0].length;
        this.rows = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            if (rows[k].length != d) {
                throw new IllegalArgumentException("prototype row " + k + " has " + rows[k].length
                        + " columns, row 0 has " + d);
            }
            for (double v : rows[k]) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("prototype row " + k + " holds a non-finite value " + v);
                }
            }
            this.rows[k] = copy ? rows[k].clone() : rows[k];
        }
    }

    /** Largest K²·d for which {@link #toString} computes the pairwise statistics itself (about a second). */
    static final double INLINE_STATISTICS_LIMIT = 2e10;
    /** Rows per block of the pairwise-cosine Gram products. */
    private static final int GRAM_BLOCK = 2048;

    /** {min, max} over i &lt; j of cos(p_i, p_j): unit rows, then blocks of the Gram matrix with BLAS. */
    private double[] cosineRange() {
        double[] r = cosineRange;
        if (r == null) {
            synchronized (this) {
                r = cosineRange;
                if (r == null) {
                    r = computeCosineRange(rows);
                    cosineRange = r;
                }
            }
        }
        return r;
    }

    static double[] computeCosineRange(double[][] rows) {
        int k = rows.length;
        int d = rows[0].length;
        double[] unit = new double[k * d];
        for (int i = 0; i < k; i++) {
            double n = 0;
            for (double v : rows[i]) {
                n += v * v;
            }
            double inv = 1 / Math.sqrt(n);
            for (int j = 0; j < d; j++) {
                unit[i * d + j] = rows[i][j] * inv;
            }
        }
        INDArray u = Nd4j.create(unit, new long[]{k, d}, DataType.DOUBLE);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int from = 0; from < k; from += GRAM_BLOCK) {
            int to = Math.min(k, from + GRAM_BLOCK);
            // rows [from, to) against rows [from, k): each pair i < j once
            INDArray g = u.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())
                    .mmul(u.get(NDArrayIndex.interval(from, k), NDArrayIndex.all()).transpose());
            double[] block = g.data().asDouble();
            int cols = k - from;
            for (int i = 0; i < to - from; i++) {
                for (int j = i + 1; j < cols; j++) {
                    double c = block[i * cols + j];
                    lo = Math.min(lo, c);
                    hi = Math.max(hi, c);
                }
            }
        }
        return new double[]{lo, hi};
    }

    /** The regular simplex for K classes in K − 1 dimensions. */
    public static PrototypeSet simplex(int classes) {
        return new PrototypeSet(PrototypeKind.SIMPLEX, Polytopes.simplex(classes));
    }

    /** A matrix from elsewhere (for example a user's {@code .npy}). */
    public static PrototypeSet of(PrototypeKind kind, double[][] rows) {
        return new PrototypeSet(kind, rows);
    }

    /**
     * A matrix with the parameters of its construction (values: strings, booleans or numbers; whole numbers are
     * kept as {@code Long}, others as {@code Double}) and the seed of its random step, if any.
     */
    public static PrototypeSet of(PrototypeKind kind, double[][] rows, Map<String, ?> parameters, OptionalLong seed) {
        return new PrototypeSet(kind, rows, parameters, seed);
    }

    /** Like {@link #of(PrototypeKind, double[][], Map, OptionalLong)}, taking ownership of freshly built rows. */
    static PrototypeSet adopt(PrototypeKind kind, double[][] rows, Map<String, ?> parameters, OptionalLong seed) {
        return new PrototypeSet(kind, rows, parameters, seed, false);
    }

    /** The construction's parameters, sorted by name (unmodifiable). */
    public Map<String, Object> parameters() {
        return parameters;
    }

    /** The seed of the construction's random step; empty for closed-form constructions. */
    public OptionalLong seed() {
        return seed;
    }

    /** Whether d ≥ K − 1, where the simplex bound −1/(K−1) can be reached. */
    public boolean boundAttainable() {
        return dimension() >= classes() - 1;
    }

    /** The largest |‖p_k‖ − r| over rows, with r = ‖p_0‖: 0 (up to rounding) when all rows lie on one sphere. */
    public double radiusSpread() {
        double r = norm(rows[0]);
        double worst = 0;
        for (double[] row : rows) {
            worst = Math.max(worst, Math.abs(norm(row) - r));
        }
        return worst;
    }

    /** The mean row norm: 1 for unit prototypes, u for prototypes of radius u. */
    public double radius() {
        double sum = 0;
        for (double[] row : rows) {
            sum += norm(row);
        }
        return sum / rows.length;
    }

    /** The quality statistics as written to the sidecar (max_cosine, min_cosine, bound, bound_attainable, radius). */
    public Map<String, Object> quality() {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("max_cosine", maxCosine());
        q.put("min_cosine", minCosine());
        q.put("bound", simplexBound());
        q.put("bound_attainable", boundAttainable());
        q.put("radius", radius());
        return q;
    }

    /** The sidecar's JSON text: format, version, kind, shape, seed, parameters and quality. */
    public String metadataJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", FORMAT_VERSION);
        m.put("kind", kind.configName());
        m.put("classes", classes());
        m.put("dimension", dimension());
        if (seed.isPresent()) {
            m.put("seed", seed.getAsLong());
        }
        m.put("parameters", parameters);
        m.put("quality", quality());
        return ConfigValueFactory.fromMap(m).render(ConfigRenderOptions.concise().setFormatted(true)) + "\n";
    }

    /** Writes the matrix as float64 {@code .npy}. */
    public void writeMatrix(OutputStream out) throws IOException {
        Npy.writeMatrix(out, rows);
    }

    /** Writes {@code file} (the matrix, {@code .npy}) and its sidecar {@link #sidecarOf(Path)}. */
    public void write(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            writeMatrix(out);
        }
        Files.writeString(sidecarOf(file), metadataJson(), StandardCharsets.UTF_8);
    }

    /** The sidecar of {@code NAME.npy}: {@code NAME.json} beside it (any other name gets {@code .json} appended). */
    public static Path sidecarOf(Path file) {
        return file.resolveSibling(sidecarName(file.getFileName().toString()));
    }

    /** {@code NAME.npy} → {@code NAME.json}; other names get {@code .json} appended. */
    public static String sidecarName(String fileName) {
        return (fileName.endsWith(".npy") ? fileName.substring(0, fileName.length() - 4) : fileName) + ".json";
    }

    /** Reads {@code file} and its sidecar; without a sidecar the set is of kind {@code file} with no parameters. */
    public static PrototypeSet read(Path file) throws IOException {
        Path sidecar = sidecarOf(file);
        try (InputStream in = Files.newInputStream(file)) {
            if (!Files.exists(sidecar)) {
                return of(PrototypeKind.FILE, Npy.readMatrix(in, file.toString()));
            }
            try (InputStream meta = Files.newInputStream(sidecar)) {
                return read(in, meta, file.toString());
            }
        }
    }

    /**
     * Reads a matrix and its sidecar. The sidecar's shape must match the matrix; its quality figures are not
     * trusted but recomputed.
     */
    public static PrototypeSet read(InputStream npy, InputStream sidecar, String name) throws IOException {
        double[][] m = Npy.readMatrix(npy, name);
        String text = new String(sidecar.readAllBytes(), StandardCharsets.UTF_8);
        Config c;
        try {
            c = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON)
                    .setOriginDescription(sidecarName(name)));
            if (!FORMAT.equals(c.getString("format"))) {
                throw new IOException(sidecarName(name) + ": format is \"" + c.getString("format") + "\", expected \""
                        + FORMAT + "\"");
            }
            if (c.getInt("version") > FORMAT_VERSION) {
                throw new IOException(sidecarName(name) + ": version " + c.getInt("version")
                        + " is newer than this protospark reads (" + FORMAT_VERSION + ")");
            }
            PrototypeKind kind = kindOf(c.getString("kind"), name);
            if (m.length != c.getInt("classes") || (m.length > 0 && m[0].length != c.getInt("dimension"))) {
                throw new IOException(name + ": the matrix is " + m.length + "x" + (m.length == 0 ? 0 : m[0].length)
                        + " but its sidecar says " + c.getInt("classes") + "x" + c.getInt("dimension"));
            }
            OptionalLong seed = c.hasPath("seed") ? OptionalLong.of(c.getLong("seed")) : OptionalLong.empty();
            Map<String, Object> params = new TreeMap<>();
            if (c.hasPath("parameters")) {
                for (Map.Entry<String, ConfigValue> e : c.getObject("parameters").entrySet()) {
                    params.put(e.getKey(), e.getValue().unwrapped());
                }
            }
            return of(kind, m, params, seed);
        } catch (ConfigException e) {
            throw new IOException(sidecarName(name) + ": not a prototype sidecar: " + e.getMessage(), e);
        }
    }

    private static PrototypeKind kindOf(String configName, String name) throws IOException {
        for (PrototypeKind k : PrototypeKind.values()) {
            if (k.configName().equals(configName)) {
                return k;
            }
        }
        throw new IOException(sidecarName(name) + ": unknown prototype kind \"" + configName + "\"");
    }

    private static Map<String, Object> normaliseParameters(Map<String, ?> in) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<String, ?> e : in.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                v = ((Number) v).longValue();
            } else if (v instanceof Number n) {
                double x = n.doubleValue();
                v = x == Math.rint(x) && Math.abs(x) < 1e15 ? (Object) (long) x : (Object) x;
            } else if (!(v instanceof String || v instanceof Boolean)) {
                throw new IllegalArgumentException("prototype parameter " + e.getKey() + " must be a string, boolean "
                        + "or number, got " + v);
            }
            out.put(e.getKey(), v);
        }
        return Collections.unmodifiableMap(out);
    }

    private static double norm(double[] row) {
        double s = 0;
        for (double v : row) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    public PrototypeKind kind() {
        return kind;
    }

    public int classes() {
        return rows.length;
    }

    public int dimension() {
        return rows[0].length;
    }

    /** A copy of row k. */
    public double[] row(int k) {
        return rows[k].clone();
    }

    /** A copy of the K×d matrix. */
    /** The K×d matrix as an ND4J array of the given type, copied row by row (no second heap copy). */
    public INDArray toArray(DataType type) {
        int d = rows[0].length;
        INDArray out = Nd4j.create(DataType.DOUBLE, new long[]{rows.length, d}, 'c');
        java.nio.DoubleBuffer buffer = out.data().asNioDouble();
        for (double[] row : rows) {
            buffer.put(row); // bulk copies into the off-heap buffer, row after row (c order)
        }
        return type == DataType.DOUBLE ? out : out.castTo(type);
    }

    public double[][] matrix() {
        double[][] copy = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            copy[k] = rows[k].clone();
        }
        return copy;
    }

    /** The smallest pairwise cosine between distinct prototypes. */
    public double minCosine() {
        return cosineRange()[0];
    }

    /** The largest pairwise cosine between distinct prototypes (lower is better spread). */
    public double maxCosine() {
        return cosineRange()[1];
    }

    /** −1/(K−1): the lowest max-cosine any K unit vectors reach, attained by the simplex when d ≥ K − 1. */
    public double simplexBound() {
        return -1.0 / (rows.length - 1);
    }

    /**
     * The set with rows permuted: row k of the result is row {@code assignment[k]} of this set, i.e. class k
     * takes prototype {@code assignment[k]}.
     */
    public PrototypeSet permuted(int[] assignment) {
        if (assignment.length != rows.length) {
            throw new IllegalArgumentException("assignment has " + assignment.length + " entries for "
                    + rows.length + " prototypes");
        }
        boolean[] seen = new boolean[rows.length];
        double[][] out = new double[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            int p = assignment[k];
            if (p < 0 || p >= rows.length || seen[p]) {
                throw new IllegalArgumentException("assignment is not a permutation of 0.." + (rows.length - 1)
                        + ": entry " + k + " = " + p);
            }
            seen[p] = true;
            out[k] = rows[p];
        }
        PrototypeSet permuted = new PrototypeSet(kind, out, parameters, seed);
        permuted.cosineRange = cosineRange; // a permutation keeps every pairwise cosine
        return permuted;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrototypeSet other && kind == other.kind && Arrays.deepEquals(rows, other.rows)
                && parameters.equals(other.parameters) && seed.equals(other.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, Arrays.deepHashCode(rows), parameters, seed);
    }

    @Override
    public String toString() {
        if (cosineRange == null && (double) classes() * classes() * dimension() > INLINE_STATISTICS_LIMIT) {
            // face scale: the K²·d pairwise statistics take a minute; they are computed when a run records them
            return String.format(Locale.ROOT, "%s %dx%d (pairwise cosine statistics not computed: K^2*d = %.1e)",
                    kind.configName(), classes(), dimension(), (double) classes() * classes() * dimension());
        }
        return String.format(Locale.ROOT, "%s %dx%d (cosine min %.6f, max %.6f, bound %.6f)",
                kind.configName(), classes(), dimension(), minCosine(), maxCosine(), simplexBound());
    }

}
