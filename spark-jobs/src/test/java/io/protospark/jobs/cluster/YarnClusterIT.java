package io.protospark.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.jobs.FashionSubset;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * protospark on a real HDFS and YARN, both running in this JVM (hadoop-client-minicluster, the client's version): the
 * launcher ({@code submit/protospark --master yarn}, with {@code HADOOP_CONF_DIR} naming the clusters' configuration)
 * prepares Fashion-MNIST shards into HDFS, then trains on YARN containers in client and in cluster deploy mode, each
 * run writing its run directory to HDFS. The driver's log names the YARN application.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnClusterIT {
    private static final Path LAUNCHER = Path.of("../submit/protospark");
    private static final Pattern YARN_APP = Pattern.compile("application_\\d+_\\d+");

    private static Path work;
    private static Path confDir;
    private static MiniDFSCluster dfs;
    private static MiniYARNCluster yarn;
    private static FileSystem fs;
    private static String hdfs;
    private static String sparkArchive;

    @BeforeAll
    static void startClusters() throws Exception {
        Path root = Path.of(System.getProperty(StandaloneCluster.WORKDIR_PROPERTY, System.getProperty("java.io.tmpdir")));
        Files.createDirectories(root);
        work = Files.createTempDirectory(root.toAbsolutePath(), "yarn-");
        long t0 = System.nanoTime();
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("dfs").toString());
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();

        YarnConfiguration yc = new YarnConfiguration(dfs.getConfiguration(0));
        // ND4J's arrays live outside the heap: YARN must not kill containers by its own memory estimates here
        yc.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        yc.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // MiniYARNCluster gives its node manager this, not yarn.nodemanager.resource.memory-mb: room for a driver and
        // two executors of 1 GiB heap + 1.5 GiB overhead each (a container's size, not memory in use)
        yc.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 12288);
        yc.setInt(YarnConfiguration.NM_VCORES, 4);
        yc.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
        // a full build disk must not make the node manager unhealthy (it would then run nothing)
        yc.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
        // the containers run the same Java 17 as this JVM
        yc.set(YarnConfiguration.NM_ADMIN_USER_ENV, "JAVA_HOME=" + System.getProperty("java.home"));
        // the capacity scheduler's configuration file is not on this class path: one queue, all of the cluster
        yc.set("yarn.scheduler.capacity.root.queues", "default");
        yc.set("yarn.scheduler.capacity.root.default.capacity", "100");
        yc.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        yc.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        yarn = new MiniYARNCluster("protospark", 1, 1, 1);
        yarn.init(yc);
        yarn.start();
        Configuration live = yarn.getConfig();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (live.get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0") && System.nanoTime() < deadline) {
            Thread.sleep(100); // the resource manager publishes its real port after start() returns
        }
        // what a cluster's client configuration holds: the default file system and the resource manager's addresses
        // (not the whole test configuration, whose test-only classes the clients do not have)
        Configuration client = new Configuration(false);
        client.set("fs.defaultFS", live.get("fs.defaultFS"));
        client.set("dfs.replication", "1");
        for (Map.Entry<String, String> e : live) {
            if (e.getKey().startsWith("yarn.resourcemanager.") && e.getKey().endsWith("address")) {
                client.set(e.getKey(), live.get(e.getKey()));
            }
        }
        confDir = Files.createDirectories(work.resolve("hadoop-conf"));
        try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
            client.writeXml(out);
        }
        try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
            client.writeXml(out);
        }
        fs = FileSystem.get(live);
        hdfs = fs.getUri().toString();

        // Spark's runtime jars once into HDFS as spark.yarn.archive, as docs/operations.md advises, instead of
        // every submission zipping and uploading 215 MB of them
        Path zip = work.resolve("spark-libs.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> jars = Files.list(Path.of(System.getProperty(StandaloneCluster.SPARK_HOME_PROPERTY,
                     "target/spark-home")).resolve("jars"))) {
            out.setLevel(0);
            for (Path jar : jars.sorted().toList()) {
                out.putNextEntry(new ZipEntry(jar.getFileName().toString()));
                Files.copy(jar, out);
                out.closeEntry();
            }
        }
        sparkArchive = hdfs + "/protospark/spark-libs.zip";
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(zip.toUri()), new org.apache.hadoop.fs.Path(sparkArchive));
        System.out.printf("HDFS + YARN up in %.1f s at %s, RM %s%n", (System.nanoTime() - t0) / 1e9, hdfs,
                live.get(YarnConfiguration.RM_ADDRESS));
    }

    @AfterAll
    static void stopClusters() throws IOException {
        if (fs != null) fs.close();
        if (yarn != null) yarn.stop();
        if (dfs != null) dfs.shutdown();
    }

    /** The job jar's upload to HDFS, which every YARN submission makes into its staging directory. */
    @Test
    @Order(1)
    void jobJarUploadTime() throws Exception {
        Path jar = Path.of(System.getProperty(StandaloneCluster.JOB_JAR_PROPERTY, "target/protospark-job.jar"));
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(hdfs + "/tmp/protospark-job.jar");
        long t0 = System.nanoTime();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(jar.toAbsolutePath().toUri()), target);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(Files.size(jar), fs.getFileStatus(target).getLen());
        System.out.printf("job jar %.1f MB uploaded to the mini-cluster's HDFS in %.2f s%n", Files.size(jar) / 1e6,
                seconds);
        fs.delete(target, false);
    }

    @Test
    @Order(2)
    void prepareWritesShardsToHdfsAndTrainRunsOnYarnInClientMode() throws Exception {
        Path raw = FashionSubset.write(work.resolve("raw"), 1200, 300);
        Result prep = launch("client", "prepare", "--format", "idx", "--input", raw.toUri().toString(), "--output",
                hdfs + "/data/fmnist");
        assertEquals(0, prep.code(), prep::describe);
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(hdfs + "/data/fmnist/"
                + io.protospark.data.shard.Manifest.FILE_NAME)), prep::describe);
        assertTrue(YARN_APP.matcher(prep.output()).find(), () -> "prepare ran on no YARN application\n"
                + prep.describe());

        Result train = launch("client", "train", "--conf", conf("fashion-mnist.conf"), "--data",
                hdfs + "/data/fmnist", "--run-dir", hdfs + "/runs/client", "--epochs", "1", "train.batch-size=32",
                "train.averaging-frequency=5", "train.workers=2");
        assertEquals(0, train.code(), train::describe);
        assertTrue(train.output().contains("test accuracy"), train::describe);
        assertRunOnHdfs("/runs/client", train);
    }

    @Test
    @Order(3)
    void trainRunsOnYarnInClusterMode() throws Exception {
        // in cluster mode the driver is a YARN container: the experiment file is read from HDFS with its includes
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(Path.of("../conf").toAbsolutePath().normalize().toUri()),
                new org.apache.hadoop.fs.Path(hdfs + "/confs"));
        Result train = launch("cluster", "train", "--conf", hdfs + "/confs/fashion-mnist.conf", "--data",
                hdfs + "/data/fmnist", "--run-dir", hdfs + "/runs/cluster", "--epochs", "1", "train.batch-size=32",
                "train.averaging-frequency=5", "train.workers=2");
        assertEquals(0, train.code(), train::describe);
        assertRunOnHdfs("/runs/cluster", train);
    }

    private static void assertRunOnHdfs(String runDir, Result r) throws IOException {
        Matcher app = YARN_APP.matcher(r.output());
        assertTrue(app.find(), () -> "the driver's log names no YARN application\n" + r.describe());
        String appId = app.group();
        String metrics = read(runDir + "/metrics.jsonl");
        assertEquals(1, metrics.lines().count(), metrics);
        assertEquals(1200, new ObjectMapper().readTree(metrics.lines().findFirst().orElseThrow())
                .get("train_examples").asLong(), metrics);
        JsonNode prov = new ObjectMapper().readTree(read(runDir + "/provenance.json"));
        assertEquals("completed", prov.get("status").asText(), prov::toString);
        assertEquals("yarn", prov.at("/spark/master").asText(), prov::toString);
        assertEquals(appId, prov.at("/spark/app_id").asText(), prov::toString);
        assertTrue(fs.getFileStatus(new org.apache.hadoop.fs.Path(hdfs + runDir + "/model.zip")).getLen() > 0);
        System.out.printf("YARN %s: %s in %.1f s%n", appId, runDir, r.elapsed().toMillis() / 1000.0);
    }

    private static String read(String path) throws IOException {
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(hdfs + path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String conf(String name) {
        return Path.of("../conf", name).toAbsolutePath().normalize().toString();
    }

    private record Result(int code, String output, Duration elapsed, Path log) {
        String describe() {
            String[] lines = output.split("\n");
            return "exit " + code + " after " + elapsed + "; log " + log + ", last lines:\n"
                    + String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60),
                    lines.length));
        }
    }

    /** submit/protospark COMMAND --master yarn --deploy-mode MODE ... with HADOOP_CONF_DIR naming the clusters. */
    private static Result launch(String deployMode, String command, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", LAUNCHER.toAbsolutePath().normalize().toString(), command,
                "--master", "yarn", "--deploy-mode", deployMode,
                "--spark-conf", "spark.yarn.archive=" + sparkArchive,
                "--spark-conf", "spark.executor.instances=2",
                "--spark-conf", "spark.executor.cores=1",
                "--spark-conf", "spark.executor.memory=1g",
                "--spark-conf", "spark.yarn.am.memory=512m",
                "--spark-conf", "spark.yarn.maxAppAttempts=1",
                "--spark-conf", "spark.ui.enabled=false"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(work, "launcher-" + command + "-" + deployMode + "-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPARK_") || k.equals("HADOOP_CONF_DIR") || k.equals("YARN_CONF_DIR"));
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("HADOOP_CONF_DIR", confDir.toString());
        extra.put("JAVA_HOME", System.getProperty("java.home"));
        extra.put("PROTOSPARK_DRIVER_MEMORY", "1g");
        extra.put("PROTOSPARK_OFFHEAP", "1G/2G");
        extra.put("SPARK_HOME", Path.of(System.getProperty(StandaloneCluster.SPARK_HOME_PROPERTY, "target/spark-home"))
                .toAbsolutePath().toString());
        env.putAll(extra);
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        int code = p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        return new Result(code, Files.readString(log, StandardCharsets.ISO_8859_1),
                Duration.ofNanos(System.nanoTime() - t0), log);
    }
}
