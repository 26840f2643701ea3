package io.protospark.jobs.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1 for integration tests: one Master and N Workers, each a separate
 * JVM started from the Maven-built Spark home ({@code spark-jobs/target/spark-home/jars}), plus {@code SparkSubmit}
 * clients (client deploy mode) that run an application on it.
 *
 * <pre>{@code
 * try (StandaloneCluster cluster = StandaloneCluster.builder().workers(2).start()) {
 *     StandaloneCluster.Result r = cluster.submit("validate");           // io.protospark.jobs.Main from the job jar
 *     assertEquals(0, r.exitCode(), r.describe());
 *     StandaloneCluster.Result t = cluster.submission()                  // full control
 *             .sparkConf("spark.executor.memory", "2g")
 *             .timeout(Duration.ofMinutes(10))
 *             .args("train", "--conf", conf.toString())
 *             .run();
 * }
 * }</pre>
 *
 * <p>Inputs (system properties, set by Failsafe in spark-jobs/pom.xml): {@value #SPARK_HOME_PROPERTY} (the folder
 * whose {@code jars/} is the Spark runtime), {@value #JOB_JAR_PROPERTY} (the shaded job jar, whose manifest entry
 * {@value #OPENS_MANIFEST_KEY} carries the {@code --add-opens} list, read exactly as {@code submit/protospark} reads
 * it) and {@value #WORKDIR_PROPERTY} (where each cluster gets a fresh folder for logs and work dirs).
 *
 * <p>{@link #close()} stops every process this object started, by its own pid: drivers, workers with the executor JVMs
 * they spawned (their descendants), and the master; SIGTERM first, then SIGKILL. A JVM shutdown hook calls it too, in
 * case a test never reaches {@code close()}. It cannot help when the test JVM itself is SIGKILLed.
 */
public final class StandaloneCluster implements AutoCloseable {

    public static final String SPARK_HOME_PROPERTY = "protospark.spark.home";
    public static final String JOB_JAR_PROPERTY = "protospark.job.jar";
    public static final String WORKDIR_PROPERTY = "protospark.cluster.workdir";
    /** Manifest attribute of the job jar holding the parent pom's {@code jvm.add.opens}. */
    public static final String OPENS_MANIFEST_KEY = "Protospark-Jvm-Opens";
    public static final String MAIN_CLASS = "io.protospark.jobs.Main";
    public static final String SCALA_BINARY_VERSION = "2.12";

    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");
    private static final Pattern MASTER_UI_PORT = Pattern.compile("Bound MasterWebUI to \\S+ and started at http://[^:\\s]+:(\\d+)");
    private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
    private static final Pattern MASTER_STATUS = Pattern.compile("\"status\"\\s*:\\s*\"(\\w+)\"");
    private static final Pattern APP_ID = Pattern.compile(
            "(?:Connected to Spark cluster with app ID|Spark application) (app-[0-9-]+)");
    private static final int TAIL_LINES = 40;

    private final Builder config;
    private final Path sparkHome;
    private final Path jobJar;
    private final List<String> opens;
    private final Path dir;
    private final Path logDir;
    private final Path confDir;
    private final Path localDir;
    private final Path javaBin;
    private final List<Started> daemons = new CopyOnWriteArrayList<>();
    private final List<Started> drivers = new CopyOnWriteArrayList<>();
    private final Set<Long> executorPidsSeen = Collections.synchronizedSet(new LinkedHashSet<>());
    private final AtomicInteger submissions = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService watcher;
    private final Thread shutdownHook;
    private final List<Path> workerDirs = new ArrayList<>();
    private String masterUrl;
    private int masterUiPort;
    private Duration startupTime;
    private volatile boolean closed;

    /** A process this cluster started, with its log. */
    private record Started(String name, Process process, Path log) {
        long pid() {
            return process.pid();
        }
    }

    /**
     * Outcome of one {@code SparkSubmit} run: exit code ({@code -1} on timeout), the driver's combined stdout and
     * stderr, the file holding it, and the app id the driver logged once connected to the master (empty when it never
     * created a SparkContext).
     */
    public record Result(int exitCode, boolean timedOut, String output, Path log, Duration elapsed, Optional<String> appId) {
        public boolean succeeded() {
            return exitCode == 0 && !timedOut;
        }

        /** For assertion messages: exit code, log path, duration and the end of the output. */
        public String describe() {
            return String.format("SparkSubmit %s after %.1f s (exit code %d); driver log %s; last lines:%n%s",
                    timedOut ? "TIMED OUT" : "finished", elapsed.toMillis() / 1000.0, exitCode, log,
                    lastLines(output, TAIL_LINES));
        }
    }


    /** A fresh random shared secret (24 bytes as hex) for {@link Builder#secret}. */
    static String randomSecret() {
        byte[] bytes = new byte[24];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a master and {@code workers} workers with the defaults (1 core, 3g each). */
    public static StandaloneCluster start(int workers) throws IOException, InterruptedException {
        return builder().workers(workers).start();
    }

    /** Cluster shape and locations; every setter has a default that suits a 2-core machine. */
    public static final class Builder {
        private int workers = 2;
        private int coresPerWorker = 1;
        private String workerMemory = "3g";
        private String executorMemory = "2g";
        private String daemonHeap = "512m";
        // Master and Worker only coordinate: C1 and the serial GC halve their startup on 2 cores (7-8 s vs 13-15 s
        // for master + 2 workers); executors and drivers keep the JVM defaults.
        private List<String> daemonJvmOptions = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        private String driverHeap = "2g";
        private Duration startTimeout = Duration.ofSeconds(120);
        private Duration submitTimeout = Duration.ofMinutes(10);
        private Path sparkHome = Path.of(System.getProperty(SPARK_HOME_PROPERTY, "target/spark-home"));
        private Path jobJar = Path.of(System.getProperty(JOB_JAR_PROPERTY, "target/protospark-job.jar"));
        private Path workRoot = Path.of(System.getProperty(WORKDIR_PROPERTY, System.getProperty("java.io.tmpdir")));
        private String secret;

        private Builder() {
        }

        /**
         * The cluster's shared {@code spark.authenticate.secret}: the master and workers require it, and submissions
         * authenticate with it and encrypt their traffic ({@code spark.network.crypto.enabled}) unless a test sets
         * otherwise. Default: none (no authentication).
         */
        public Builder secret(String sharedSecret) {
            this.secret = sharedSecret;
            return this;
        }

        public Builder workers(int n) {
            if (n < 1) throw new IllegalArgumentException("workers must be >= 1, got " + n);
            this.workers = n;
            return this;
        }

        public Builder coresPerWorker(int n) {
            if (n < 1) throw new IllegalArgumentException("coresPerWorker must be >= 1, got " + n);
            this.coresPerWorker = n;
            return this;
        }

        /** Memory each worker offers to executors ({@code --memory}), e.g. "3g". */
        public Builder workerMemory(String memory) {
            this.workerMemory = memory;
            return this;
        }

        /** Default {@code spark.executor.memory} of submissions, e.g. "2g"; must fit in the worker memory. */
        public Builder executorMemory(String memory) {
            this.executorMemory = memory;
            return this;
        }

        /** -Xmx of the master and worker daemons. */
        public Builder daemonHeap(String heap) {
            this.daemonHeap = heap;
            return this;
        }

        /** Default -Xmx of the SparkSubmit (driver) JVM. */
        /** Extra JVM options of the master and worker daemons (default: C1 only, serial GC). */
        public Builder daemonJvmOptions(String... options) {
            this.daemonJvmOptions = List.of(options);
            return this;
        }

        public Builder driverHeap(String heap) {
            this.driverHeap = heap;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Default timeout of a submission. */
        public Builder submitTimeout(Duration timeout) {
            this.submitTimeout = timeout;
            return this;
        }

        public Builder sparkHome(Path path) {
            this.sparkHome = path;
            return this;
        }

        public Builder jobJar(Path path) {
            this.jobJar = path;
            return this;
        }

        /** Folder under which the cluster creates its own fresh folder (logs, worker dirs). */
        public Builder workRoot(Path path) {
            this.workRoot = path;
            return this;
        }

        /** Starts the master, then the workers, and waits until the master reports all workers alive. */
        public StandaloneCluster start() throws IOException, InterruptedException {
            StandaloneCluster cluster = new StandaloneCluster(this);
            try {
                cluster.startAll();
                return cluster;
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                cluster.close();
                throw e;
            }
        }
    }

    private StandaloneCluster(Builder config) throws IOException {
        this.config = config;
        this.sparkHome = config.sparkHome.toAbsolutePath().normalize();
        this.jobJar = config.jobJar.toAbsolutePath().normalize();
        Path jars = sparkHome.resolve("jars");
        try (Stream<Path> s = Files.isDirectory(jars) ? Files.list(jars) : Stream.empty()) {
            if (s.noneMatch(p -> p.getFileName().toString().startsWith("spark-core_"))) {
                throw new IllegalStateException("no Spark jars in " + jars
                        + " (system property " + SPARK_HOME_PROPERTY + "); build them with mvn -DskipTests package");
            }
        }
        this.opens = jvmOpens(jobJar);
        Files.createDirectories(config.workRoot);
        this.dir = Files.createTempDirectory(config.workRoot.toAbsolutePath(), "cluster-");
        this.logDir = Files.createDirectories(dir.resolve("logs"));
        this.confDir = Files.createDirectories(dir.resolve("conf")); // empty: no stray spark-defaults.conf
        this.localDir = Files.createDirectories(dir.resolve("local"));
        this.javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        this.shutdownHook = new Thread(this::close, "standalone-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "standalone-cluster-executor-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::recordExecutorPids, 500, 500, TimeUnit.MILLISECONDS);
    }

    /**
     * The {@code --add-opens} flags from the job jar's manifest ({@value #OPENS_MANIFEST_KEY}), which the build fills
     * from the parent pom's {@code jvm.add.opens}; {@code submit/protospark} reads the same entry.
     */
    public static List<String> jvmOpens(Path jobJar) throws IOException {
        if (!Files.isRegularFile(jobJar)) {
            throw new IllegalStateException("job jar " + jobJar + " not found (system property " + JOB_JAR_PROPERTY
                    + "); build it with mvn -DskipTests package");
        }
        try (JarFile jar = new JarFile(jobJar.toFile())) {
            Manifest manifest = jar.getManifest();
            String value = manifest == null ? null : manifest.getMainAttributes().getValue(OPENS_MANIFEST_KEY);
            if (value == null || !value.contains("--add-opens")) {
                throw new IllegalStateException(jobJar + " has no " + OPENS_MANIFEST_KEY + " manifest entry; rebuild it");
            }
            return List.of(value.trim().split("\\s+"));
        }
    }

    private void startAll() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout.toNanos();
        int port = freePort();
        int uiPort = freePort();
        List<String> daemonJvm = new ArrayList<>(config.daemonJvmOptions);
        daemonJvm.add("-Xmx" + config.daemonHeap);
        if (config.secret != null) {
            daemonJvm.add("-Dspark.authenticate=true");
            daemonJvm.add("-Dspark.authenticate.secret=" + config.secret);
        }
        Started master = startJvm("master", daemonJvm, "org.apache.spark.deploy.master.Master",
                List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(uiPort)));
        daemons.add(master);

        // Spark moves to the next port when one is taken, so take the URL and UI port from the master's log.
        String log = awaitLog(master, deadline, MASTER_URL, MASTER_UI_PORT);
        Matcher url = MASTER_URL.matcher(log);
        Matcher ui = MASTER_UI_PORT.matcher(log);
        if (!url.find() || !ui.find()) throw new IllegalStateException("unreachable");
        masterUrl = url.group(1);
        masterUiPort = Integer.parseInt(ui.group(1));
        await(deadline, "the master to report status ALIVE", () -> "ALIVE".equals(masterStatus()));

        // Workers start only now: a worker that misses the master retries after 5-15 s, which would double startup.
        for (int i = 1; i <= config.workers; i++) {
            Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
            workerDirs.add(workDir);
            daemons.add(startJvm("worker-" + i, daemonJvm, "org.apache.spark.deploy.worker.Worker",
                    List.of(masterUrl, "--host", "127.0.0.1", "--cores", String.valueOf(config.coresPerWorker),
                            "--memory", config.workerMemory, "--webui-port", String.valueOf(freePort()),
                            "--work-dir", workDir.toString())));
        }
        await(deadline, config.workers + " alive workers", () -> aliveWorkers() >= config.workers);
        startupTime = Duration.ofNanos(System.nanoTime() - t0);
    }

    private Started startJvm(String name, List<String> jvmArgs, String mainClass, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin.toString());
        cmd.addAll(opens);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("jars") + "/*");
        cmd.add(mainClass);
        cmd.addAll(args);
        return startProcess(name, cmd, Map.of());
    }

    /** Starts a command in the cluster's folder with a clean Spark environment plus {@code extraEnv}, logging to logs/. */
    private Started startProcess(String name, List<String> cmd, Map<String, String> extraEnv) throws IOException {
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPARK_") || k.startsWith("PYSPARK_")
                || k.equals("HADOOP_CONF_DIR") || k.equals("YARN_CONF_DIR"));
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", SCALA_BINARY_VERSION);
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("SPARK_CONF_DIR", confDir.toString());
        env.put("SPARK_LOCAL_DIRS", localDir.toString());
        env.putAll(extraEnv);
        Files.writeString(log, "# " + String.join(" ", cmd) + System.lineSeparator());
        if (closed) throw new IllegalStateException("cluster is closed");
        return new Started(name, pb.start(), log);
    }

    // ------------------------------------------------------------------------------------------------ submissions

    /** Runs {@code io.protospark.jobs.Main} from the job jar with these arguments, with the default settings. */
    public Result submit(String... args) throws IOException, InterruptedException {
        return submission().args(args).run();
    }

    /** A SparkSubmit run to configure: jar, main class, Spark settings, driver JVM options, timeout, arguments. */
    public Submission submission() {
        return new Submission();
    }

    /** One {@code SparkSubmit --deploy-mode client} run against this cluster. */
    public final class Submission {
        private Path jar = jobJar;
        private String mainClass = MAIN_CLASS;
        private final Map<String, String> sparkConf = new LinkedHashMap<>();
        private final List<String> driverJvmOptions = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private Duration timeout = config.submitTimeout;
        private String driverHeap = config.driverHeap;

        private Submission() {
            sparkConf.put("spark.executor.memory", config.executorMemory);
            sparkConf.put("spark.ui.enabled", "false");
            sparkConf.put("spark.ui.showConsoleProgress", "false");
            if (config.secret != null) {
                sparkConf.put("spark.authenticate", "true");
                sparkConf.put("spark.authenticate.secret", config.secret);
                sparkConf.put("spark.network.crypto.enabled", "true");
            }
        }

        public Submission jar(Path appJar) {
            this.jar = appJar.toAbsolutePath();
            return this;
        }

        public Submission mainClass(String className) {
            this.mainClass = className;
            return this;
        }

        /** A {@code --conf key=value}; the extraJavaOptions keys are appended to the add-opens list, not replacing it. */
        public Submission sparkConf(String key, String value) {
            sparkConf.put(key, value);
            return this;
        }

        /** An option for the driver JVM (this SparkSubmit process), e.g. a -D property. */
        public Submission driverJvmOption(String option) {
            driverJvmOptions.add(option);
            return this;
        }

        public Submission driverHeap(String heap) {
            this.driverHeap = heap;
            return this;
        }

        public Submission timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public Submission args(String... a) {
            args.addAll(Arrays.asList(a));
            return this;
        }

        /** Runs SparkSubmit as a child JVM and waits for it (at most the timeout, then kills it and its children). */
        public Result run() throws IOException, InterruptedException {
            if (closed) throw new IllegalStateException("cluster is closed");
            String opensJoined = String.join(" ", opens);
            Map<String, String> conf = new LinkedHashMap<>();
            conf.put("spark.driver.host", "127.0.0.1");
            conf.put("spark.executorEnv.SPARK_SCALA_VERSION", SCALA_BINARY_VERSION);
            conf.putAll(sparkConf);
            conf.merge("spark.driver.extraJavaOptions", opensJoined, (user, o) -> o + " " + user);
            conf.merge("spark.executor.extraJavaOptions", opensJoined, (user, o) -> o + " " + user);
            List<String> jvm = new ArrayList<>();
            jvm.add("-Xmx" + driverHeap);
            jvm.addAll(driverJvmOptions);
            List<String> submitArgs = new ArrayList<>(List.of("--master", masterUrl, "--deploy-mode", "client"));
            conf.forEach((k, v) -> submitArgs.addAll(List.of("--conf", k + "=" + v)));
            submitArgs.addAll(List.of("--class", mainClass, jar.toString()));
            submitArgs.addAll(args);

            String name = "driver-" + submissions.incrementAndGet();
            long t0 = System.nanoTime();
            Started driver = startJvm(name, jvm, "org.apache.spark.deploy.SparkSubmit", submitArgs);
            drivers.add(driver);
            return awaitResult(driver, timeout, t0);
        }
    }

    /**
     * Runs the launcher {@code launcher} (submit/protospark) against this cluster: {@code COMMAND --master URL} plus
     * the driver host, executor memory and UI settings of a {@link Submission}, then {@code args}, with {@code env}
     * added to a clean Spark environment. Security is the launcher's own (no secret is passed here).
     */
    public Result launch(Path launcher, Map<String, String> env, Duration timeout, String command, String... args)
            throws IOException, InterruptedException {
        if (closed) throw new IllegalStateException("cluster is closed");
        List<String> cmd = new ArrayList<>(List.of("bash", launcher.toAbsolutePath().normalize().toString(), command,
                "--master", masterUrl, "--spark-conf", "spark.driver.host=127.0.0.1", "--spark-conf",
                "spark.executor.memory=" + config.executorMemory, "--spark-conf", "spark.ui.enabled=false"));
        cmd.addAll(Arrays.asList(args));
        Map<String, String> launchEnv = new LinkedHashMap<>();
        launchEnv.put("PROTOSPARK_DRIVER_MEMORY", config.driverHeap);
        launchEnv.put("JAVA_HOME", System.getProperty("java.home"));
        launchEnv.putAll(env);
        String name = "launcher-" + submissions.incrementAndGet();
        long t0 = System.nanoTime();
        Started driver = startProcess(name, cmd, launchEnv);
        drivers.add(driver);
        return awaitResult(driver, timeout, t0);
    }

    /** Waits for a driver (at most the timeout, then kills it and its children) and collects its result. */
    private Result awaitResult(Started driver, Duration timeout, long t0) throws IOException, InterruptedException {
        boolean done = driver.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            stop(List.of(driver));
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        String output = Files.readString(driver.log, StandardCharsets.ISO_8859_1);
        Matcher app = APP_ID.matcher(output);
        return new Result(done ? driver.process.exitValue() : -1, !done, output, driver.log, elapsed,
                app.find() ? Optional.of(app.group(1)) : Optional.empty());
    }

    // ------------------------------------------------------------------------------------------------ state

    public String masterUrl() {
        return masterUrl;
    }

    public String masterWebUiUrl() {
        return "http://127.0.0.1:" + masterUiPort;
    }

    /** Time from launching the master until the master reported every worker alive. */
    public Duration startupTime() {
        return startupTime;
    }

    /** This cluster's own folder: logs/, worker-N/ (work dirs with executor logs), local/. */
    public Path dir() {
        return dir;
    }

    public Path sparkHome() {
        return sparkHome;
    }

    public Path jobJar() {
        return jobJar;
    }

    public List<String> jvmOpens() {
        return opens;
    }

    public Path masterLog() {
        return logDir.resolve("master.log");
    }

    public List<Path> workerLogs() {
        return daemons.stream().filter(s -> s.name.startsWith("worker-")).map(Started::log).toList();
    }

    /** Work dir of worker {@code i} (1-based). */
    public Path workerDir(int i) {
        return workerDirs.get(i - 1);
    }

    /** The master's JSON state ({@code /json/}): workers, aliveworkers, activeapps, completedapps, status. */
    public String masterJson() throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(masterWebUiUrl() + "/json/")).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) throw new IOException("HTTP " + resp.statusCode() + " from " + req.uri());
        return resp.body();
    }

    /** Alive workers as the master reports them, or -1 when the master does not answer. */
    public int aliveWorkers() {
        return jsonInt(ALIVE_WORKERS).orElse(-1);
    }

    private String masterStatus() {
        try {
            Matcher m = MASTER_STATUS.matcher(masterJson());
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private Optional<Integer> jsonInt(Pattern p) {
        try {
            Matcher m = p.matcher(masterJson());
            return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** 1-based indices of the workers that launched an executor for {@code appId} (their work dir has its folder). */
    public List<Integer> workersThatRan(String appId) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= workerDirs.size(); i++) {
            if (Files.isDirectory(workerDir(i).resolve(appId))) out.add(i);
        }
        return out;
    }

    /** Executor stdout/stderr files under the workers' work dirs. */
    public List<Path> executorLogs() {
        List<Path> out = new ArrayList<>();
        for (Path w : workerDirs) {
            try (Stream<Path> s = Files.walk(w, 3)) {
                s.filter(p -> p.getFileName().toString().matches("stdout|stderr")).sorted().forEach(out::add);
            } catch (IOException | UncheckedIOException e) {
                // a work dir being written while we look: report what we found
            }
        }
        return out;
    }

    /** Pids of the master and the workers. */
    public List<Long> daemonPids() {
        return daemons.stream().map(Started::pid).toList();
    }

    /** Pids of the executor JVMs currently running under the workers. */
    public Set<Long> executorPids() {
        Set<Long> pids = new LinkedHashSet<>();
        for (Started s : daemons) {
            if (s.name.startsWith("worker-")) s.process.descendants().forEach(h -> pids.add(h.pid()));
        }
        executorPidsSeen.addAll(pids);
        return pids;
    }

    /** Every executor pid seen under a worker since the start (sampled twice a second, and at close). */
    public Set<Long> executorPidsSeen() {
        synchronized (executorPidsSeen) {
            return new LinkedHashSet<>(executorPidsSeen);
        }
    }

    /** Every pid this cluster started or saw: master, workers, drivers, executors. */
    public Set<Long> startedPids() {
        Set<Long> all = new LinkedHashSet<>(daemonPids());
        drivers.forEach(d -> all.add(d.pid()));
        all.addAll(executorPidsSeen());
        return all;
    }

    /** The subset of {@link #startedPids()} still alive (empty after {@link #close()}). */
    public Set<Long> alivePids() {
        return startedPids().stream()
                .filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private void recordExecutorPids() {
        try {
            executorPids();
        } catch (RuntimeException e) {
            // a process ended while we walked the tree; the next round sees the rest
        }
    }

    /** For assertion messages: every process with pid, state, log file and the end of its log; executor logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("standalone cluster in ").append(dir).append(", master ").append(masterUrl)
                .append(", UI ").append(masterWebUiUrl()).append(System.lineSeparator());
        List<Started> all = new ArrayList<>(daemons);
        all.addAll(drivers);
        for (Started s : all) {
            sb.append(String.format("--- %s pid %d %s, log %s%n", s.name, s.pid(),
                    s.process.isAlive() ? "running" : "exited " + s.process.exitValue(), s.log));
            sb.append(tail(s.log, TAIL_LINES)).append(System.lineSeparator());
        }
        List<Path> executorLogs = executorLogs();
        if (!executorLogs.isEmpty()) {
            sb.append("--- executor logs:").append(System.lineSeparator());
            executorLogs.forEach(p -> sb.append("  ").append(p).append(System.lineSeparator()));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ shutdown

    /**
     * Stops every process this cluster started, by pid: drivers, then workers together with their descendants (the
     * executors), then the master. SIGTERM, up to 15 s grace, then SIGKILL. Keeps logs; deletes the copies of the
     * application jars in the worker dirs and the Spark local dir. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        watcher.shutdownNow();
        List<Started> order = new ArrayList<>(drivers);
        List<Started> reversed = new ArrayList<>(daemons);
        Collections.reverse(reversed); // workers (last started first), master last
        order.addAll(reversed);
        stop(order);
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
        deleteBulk();
    }

    /** SIGTERM to each process and its descendants (collected first, so orphans are not missed), then SIGKILL. */
    private void stop(List<Started> processes) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (Started s : processes) {
            List<ProcessHandle> children = s.process.descendants().toList();
            children.forEach(h -> executorPidsSeenIfWorker(s, h));
            handles.addAll(children);
            handles.add(s.process.toHandle());
        }
        handles.forEach(ProcessHandle::destroy);
        awaitExit(handles, Duration.ofSeconds(15));
        handles.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitExit(handles, Duration.ofSeconds(10));
    }

    private void executorPidsSeenIfWorker(Started s, ProcessHandle h) {
        if (s.name.startsWith("worker-")) executorPidsSeen.add(h.pid());
    }

    private static void awaitExit(List<ProcessHandle> handles, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        for (ProcessHandle h : handles) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return;
            } catch (ExecutionException e) {
                // onExit never fails for a real process; keep waiting for the others
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The fetched application jars (hundreds of MB each) and Spark's scratch space; logs stay. */
    private void deleteBulk() {
        List<Path> doomed = new ArrayList<>();
        for (Path w : workerDirs) {
            try (Stream<Path> s = Files.walk(w)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jar")).forEach(doomed::add);
            } catch (IOException | UncheckedIOException e) {
                // best effort
            }
        }
        try (Stream<Path> s = Files.walk(localDir)) {
            s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(localDir)).forEach(doomed::add);
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
        for (Path p : doomed) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // best effort: a folder still holding something, a file already gone
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Packs {@code classes} and their nested classes (from the test classpath) into a plain jar for submission. */
    public static Path jarOf(Path jar, Class<?>... classes) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Files.createDirectories(jar.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, manifest)) {
            for (Class<?> c : classes) {
                Path root;
                try {
                    root = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
                } catch (URISyntaxException e) {
                    throw new IOException(e);
                }
                String entry = c.getName().replace('.', '/');
                Path folder = root.resolve(entry).getParent();
                String simple = entry.substring(entry.lastIndexOf('/') + 1);
                try (Stream<Path> s = Files.list(folder)) {
                    for (Path f : s.filter(p -> {
                        String n = p.getFileName().toString();
                        return n.equals(simple + ".class") || (n.startsWith(simple + "$") && n.endsWith(".class"));
                    }).sorted().toList()) {
                        jos.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
                        Files.copy(f, jos);
                        jos.closeEntry();
                    }
                }
            }
        }
        return jar;
    }

    private String awaitLog(Started s, long deadline, Pattern... patterns) throws InterruptedException {
        String[] text = {""};
        await(deadline, s.name + " to log " + Arrays.toString(patterns), () -> {
            try {
                text[0] = Files.readString(s.log, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return false;
            }
            return Arrays.stream(patterns).allMatch(p -> p.matcher(text[0]).find());
        });
        return text[0];
    }

    private interface Condition {
        boolean holds() throws InterruptedException;
    }

    /** Polls {@code condition} every 200 ms; fails early when a daemon died, or at the deadline, with all log tails. */
    private void await(long deadline, String what, Condition condition) throws InterruptedException {
        while (true) {
            if (condition.holds()) return;
            for (Started s : daemons) {
                if (!s.process.isAlive()) {
                    throw new IllegalStateException(String.format("%s exited (code %d) while waiting for %s; log %s%n%s",
                            s.name, s.process.exitValue(), what, s.log, describe()));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.format("timed out after %d s waiting for %s%n%s",
                        config.startTimeout.toSeconds(), what, describe()));
            }
            Thread.sleep(200);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** The last {@code n} lines of a file (reads at most its last 64 KiB). */
    static String tail(Path file, int n) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - 65536);
            byte[] buf = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(buf);
            return lastLines(new String(buf, StandardCharsets.ISO_8859_1), n);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    static String lastLines(String text, int n) {
        List<String> lines = text.lines().toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size()).stream()
                .map(l -> "    " + l).collect(Collectors.joining(System.lineSeparator()));
    }
}
