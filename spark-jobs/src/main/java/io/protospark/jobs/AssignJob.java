package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.io.DataFormatException;
import io.protospark.jobs.common.Json;
import io.protospark.model.assign.Assignment;
import io.protospark.model.assign.CosineAssignment;
import io.protospark.model.assign.LinearAssignment;
import io.protospark.model.io.Npy;
import io.protospark.model.io.NpyMatrix;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code protospark assign}: the label-to-prototype assignment of DL2PA as a command, on the driver (no Spark).
 *
 * <p>Dense: {@code --cost FILE.npy [--maximize]}, an n×n cost matrix (f8 or f4), solved exactly by
 * {@link LinearAssignment}. Sparse: {@code --classes FILE.npy --prototypes FILE.npy [--k 32]}, two K×d matrices,
 * total cosine maximised by {@link CosineAssignment} without forming K×K. Both write {@code --out FILE.npy} (int64,
 * entry i = the column of row i) and return one JSON line; {@code seconds} is the solve alone, without file I/O.
 *
 * <p>Files are read and written through the Hadoop FileSystem API, so every path may be a local path or any Hadoop
 * URI ({@code file:}, {@code hdfs:}, {@code s3a:}, ...; a path without a scheme is on the default file system,
 * normally the local one). Local files are read in place; a file on another file system is first copied to a local
 * temporary file, which is deleted afterwards. The output is published atomically: it is written to a hidden
 * temporary file in the target directory and renamed onto {@code --out}, so a reader never sees a partial file
 * (on a file system whose rename cannot replace, an existing output is deleted just before the rename). Errors
 * name the file and what was expected: a missing file, a directory, a file that is not a 2-d {@code .npy} matrix,
 * a wrong shape, NaN or infinite entries.
 */
public final class AssignJob {
    public static final String COST_KEY = "protospark.assign.cost";
    public static final String CLASSES_KEY = "protospark.assign.classes";
    public static final String PROTOTYPES_KEY = "protospark.assign.prototypes";
    public static final String OUT_KEY = "protospark.assign.out";
    public static final String MAXIMIZE_KEY = "protospark.assign.maximize";
    public static final String K_KEY = "protospark.assign.k";
    public static final String GAP_KEY = "protospark.assign.dense-gap-up-to";
    public static final String PREFIX_KEY = "protospark.assign.prefix-dims";
    public static final String THREADS_KEY = "protospark.assign.threads";
    private static final Logger LOG = LoggerFactory.getLogger(AssignJob.class);

    private AssignJob() {
    }

    /** Dense when {@code cost} is set, sparse when {@code classes} and {@code prototypes} are. */
    public record Settings(String cost, String classes, String prototypes, String out, boolean maximize, int k,
                           int denseGapUpTo, int prefixDims, int threads) {
        public boolean sparse() {
            return cost == null;
        }

        public static Settings from(Config c) {
            String cost = Configs.getString(c, COST_KEY);
            String classes = Configs.getString(c, CLASSES_KEY);
            String prototypes = Configs.getString(c, PROTOTYPES_KEY);
            String out = Configs.getString(c, OUT_KEY);
            boolean maximize = Configs.getBoolean(c, MAXIMIZE_KEY);
            int k = Configs.positiveInt(c, K_KEY);
            int gap = Configs.nonNegativeInt(c, GAP_KEY);
            int prefix = AssignJob.prefixDims(c);
            int threads = Configs.nonNegativeInt(c, THREADS_KEY);
            if (out.isBlank()) {
                throw new SettingsException(OUT_KEY, "is required: the .npy file for the assignment", out,
                        "give --out FILE.npy");
            }
            boolean dense = !cost.isBlank();
            boolean sparse = !classes.isBlank() || !prototypes.isBlank();
            if (dense == sparse) {
                throw new SettingsException(COST_KEY, "give either a cost matrix (--cost FILE.npy) or class memories "
                        + "and prototypes (--classes FILE.npy --prototypes FILE.npy), not "
                        + (dense ? "both" : "neither"),
                        cost, "see protospark --help");
            }
            if (sparse && (classes.isBlank() || prototypes.isBlank())) {
                String missing = classes.isBlank() ? CLASSES_KEY : PROTOTYPES_KEY;
                throw new SettingsException(missing, "is required with "
                        + (classes.isBlank() ? "--prototypes" : "--classes"), "", "give --classes and --prototypes");
            }
            if (sparse && maximize) {
                LOG.info("--maximize is implied for --classes/--prototypes (total cosine is maximised)");
            }
            return new Settings(dense ? cost : null, sparse ? classes : null, sparse ? prototypes : null, out,
                    maximize || sparse, k, gap, prefix, threads);
        }
    }

    /** {@value #PREFIX_KEY}: "auto" (the default) or a number of leading coordinates, 0 = off. */
    static int prefixDims(Config c) {
        String raw = Configs.getString(c, PREFIX_KEY).trim();
        if (raw.equalsIgnoreCase("auto")) {
            return CosineAssignment.AUTO_PREFIX;
        }
        try {
            int w = Integer.parseInt(raw);
            if (w >= 0) {
                return w;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SettingsException(PREFIX_KEY, "must be auto or a whole number >= 0 (0 = full gemm)", raw,
                "e.g. assign.prefix-dims=auto or assign.prefix-dims=256");
    }

    /**
     * The outcome; the sparse fields are null for the dense solver, {@code gap} is null unless computed.
     */
    public record Result(String solver, int n, double objective, double seconds, double cpuSeconds,
                         Boolean provenOptimal,
                         Integer rounds, Long edges, Double gap, Double warmupCpuSeconds,
                         Double warmupWaitSeconds, long peakHeapBytes,
                         String out, int[] columnOfRow) {
        /**
         * objective, seconds (wall), cpu_seconds (this JVM's CPU time while solving, all threads), n, solver, then
         * proven_optimal, rounds, edges, gap when present, warmup_cpu_seconds (CPU time of the JIT warm-up thread that
         * ran while the command loaded; not in cpu_seconds) and warmup_wait_seconds (how much of seconds was spent
         * waiting for it to finish) when one ran, peak_heap_mb, out.
         */
        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("objective", objective);
            m.put("seconds", seconds);
            m.put("cpu_seconds", cpuSeconds);
            m.put("n", n);
            m.put("solver", solver);
            if (provenOptimal != null) {
                m.put("proven_optimal", provenOptimal);
                m.put("rounds", rounds);
                m.put("edges", edges);
            }
            if (gap != null) {
                m.put("gap", gap);
            }
            if (warmupCpuSeconds != null) {
                m.put("warmup_cpu_seconds", warmupCpuSeconds);
            }
            if (warmupWaitSeconds != null) {
                m.put("warmup_wait_seconds", warmupWaitSeconds);
            }
            m.put("peak_heap_mb", peakHeapBytes / (1024 * 1024));
            m.put("out", out);
            return m;
        }

        public String jsonLine() {
            return Json.line(summary());
        }
    }

    public static Result run(Settings s) {
        Configuration conf = new Configuration();
        Result r = s.sparse() ? runSparse(s, conf) : runDense(s, conf);
        write(s.out(), r.columnOfRow(), conf);
        LOG.info("assignment of {} rows written to {} ({} s solving)", r.n(), s.out(),
                String.format(Locale.ROOT, "%.3f", r.seconds()));
        return r;
    }

    /** From this size on the solve waits for the warm-up; smaller problems are solved at once, warm or not. */
    static final int WARMUP_WAIT_FROM = 256;

    private static Thread warmThread;
    private static volatile double warmCpuSeconds = -1;
    /** Set when the matrix is read: the warm-up then ends before its next small solve (after its minimum). */
    private static final AtomicBoolean MATRIX_READ = new AtomicBoolean();

    /**
     * Starts compiling the dense solver's loops on a low-priority daemon thread, once per JVM: {@code Main} calls it
     * for a dense {@code assign} before it loads the configuration, so the warm-up overlaps all of the command's
     * loading, and it stops before its next small solve once the matrix is read. A JVM that solves once would otherwise
     * spend longer compiling than solving (n = 1000-5000).
     */
    public static synchronized void startWarmUp() {
        if (warmThread != null || "false".equals(System.getProperty("protospark.assign.warmup"))) {
            return;
        }
        warmThread = new Thread(() -> {
            LinearAssignment.warmUp(MATRIX_READ::get);
            warmCpuSeconds = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
        }, "protospark-assign-warmup");
        warmThread.setDaemon(true);
        warmThread.setPriority(Thread.MIN_PRIORITY);
        warmThread.start();
    }

    private static synchronized Thread warmThread() {
        return warmThread;
    }

    /**
     * Dense: the solver's loops are compiled on a second thread while the command loads its configuration and reads
     * the matrix ({@link #startWarmUp}, see {@link LinearAssignment#warmUp}); whatever of that warm-up is not done
     * when reading ends is waited for inside the timed solve, so {@code seconds} never hides it.
     * {@code -Dprotospark.assign.warmup=false} turns it off.
     */
    private static Result runDense(Settings s, Configuration conf) {
        startWarmUp();
        Thread warm = warmThread();
        NpyMatrix m = read(s.cost(), true, conf, "an n x n cost matrix (.npy, f8 or f4)");
        if (m.rows() != m.cols()) {
            throw new DataFormatException(s.cost() + ": the cost matrix must be square (n x n), found " + m.rows()
                    + " x " + m.cols());
        }
        int n = m.rows();
        MATRIX_READ.set(true);
        long t0 = System.nanoTime();
        long c0 = processCpu();
        Double waited = null;
        if (warm != null && n >= WARMUP_WAIT_FROM) {
            try {
                warm.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            waited = (System.nanoTime() - t0) / 1e9;
        }
        Assignment a;
        try {
            a = LinearAssignment.solve(m.doubles(), n, n, s.maximize(), s.threads());
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(s.cost() + ": " + e.getMessage(), e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result("dense-lapjv", n, a.objective(), seconds, (processCpu() - c0) / 1e9, null, null, null,
                null, warmCpuSeconds >= 0 ? warmCpuSeconds : null, waited, peakHeap(), s.out(), a.columnOfRow());
    }

    private static Result runSparse(Settings s, Configuration conf) {
        NpyMatrix q = read(s.classes(), false, conf, "a K x d matrix of class memories (.npy, f4 or f8)");
        NpyMatrix p = read(s.prototypes(), false, conf, "a K x d matrix of prototypes (.npy, f4 or f8)");
        if (q.rows() != p.rows() || q.cols() != p.cols()) {
            throw new DataFormatException(s.classes() + " and " + s.prototypes() + " must have the same shape K x d; "
                    + "found " + q.rows() + " x " + q.cols() + " and " + p.rows() + " x " + p.cols());
        }
        CosineAssignment.Result r;
        CosineAssignment.Options options = CosineAssignment.Options.defaults().withK(s.k())
                .withDenseGapUpTo(s.denseGapUpTo()).withPrefixDims(s.prefixDims());
        if (s.threads() > 0) {
            options = options.withThreads(s.threads());
        }
        long c0 = processCpu();
        try {
            r = CosineAssignment.solve(q.floats(), p.floats(), q.rows(), q.cols(), options);
        } catch (IllegalArgumentException e) {
            String file = e.getMessage().startsWith("prototypes") ? s.prototypes() : s.classes();
            throw new DataFormatException(file + ": " + e.getMessage(), e);
        }
        Double gap = Double.isNaN(r.gap()) ? null : r.gap();
        int w = CosineAssignment.prefixDimsFor(q.rows(), q.cols(), s.prefixDims());
        String solver = "sparse-topk-" + r.k() + (w > 0 ? "-prefix-" + w : "");
        return new Result(solver, q.rows(), r.objective(), r.candidateSeconds() + r.solveSeconds(),
                (processCpu() - c0) / 1e9, r.provenOptimal(), r.rounds(), r.edges(), gap, null, null, peakHeap(),
                s.out(), r.assignment().columnOfRow());
    }

    /**
     * Reads a 2-d .npy matrix from a local path or Hadoop URI; errors name {@code file} as given and say what was
     * {@code expected}.
     */
    static NpyMatrix read(String file, boolean doubles, Configuration conf, String expected) {
        Path path = new Path(file);
        java.nio.file.Path copy = null;
        try {
            FileSystem fs = path.getFileSystem(conf);
            FileStatus st;
            try {
                st = fs.getFileStatus(path);
            } catch (FileNotFoundException e) {
                throw new DataFormatException(file + ": no such file; expected " + expected);
            }
            if (st.isDirectory()) {
                throw new DataFormatException(file + ": is a directory; expected " + expected);
            }
            java.nio.file.Path local;
            if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
                local = localFile(fs, path);
            } else {
                copy = Files.createTempFile("protospark-assign-", ".npy");
                try (var in = fs.open(path)) {
                    Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
                }
                local = copy;
            }
            try {
                return doubles ? NpyMatrix.readDoubles(local) : NpyMatrix.readFloats(local);
            } catch (IOException e) {
                // NpyMatrix names its local path: name the file as the user gave it
                String msg = String.valueOf(e.getMessage());
                String name = local.toString();
                String what = msg.startsWith(name + ": ") ? msg.substring(name.length() + 2) : msg;
                throw new DataFormatException(file + ": " + what + "; expected " + expected, e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } finally {
            if (copy != null) {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException e) {
                    LOG.warn("cannot delete the temporary copy {}: {}", copy, e.getMessage());
                }
            }
        }
    }

    private static java.nio.file.Path localFile(FileSystem fs, Path path) {
        Path q = fs.makeQualified(path);
        return java.nio.file.Path.of(q.toUri());
    }

    /**
     * Writes the assignment to {@code out} (local path or Hadoop URI) atomically: into a hidden temporary file in the
     * same directory, then renamed onto {@code out}. The temporary file is removed on failure.
     */
    static void write(String out, int[] sigma, Configuration conf) {
        io.protospark.jobs.common.PublishedFile.write(out, "the assignment", conf, o -> Npy.writeIntVector(o, sigma));
    }

    /** CPU time of this JVM in nanoseconds (all threads, including BLAS), or 0 when unavailable. */
    static long processCpu() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    /** Sum of the heap pools' peak usage so far. */
    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
