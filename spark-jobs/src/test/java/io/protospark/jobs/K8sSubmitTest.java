package io.protospark.jobs;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import okhttp3.Headers;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Spark sends to Kubernetes for a protospark job in cluster mode: a real SparkSubmit (spark-kubernetes 3.5.5)
 * against fabric8's mock API server (CRUD mode, in this JVM, plain HTTP), then the driver pod and configuration it
 * created, read back from the server.
 *
 * <p>SparkSubmit runs in a child JVM on this test's class path, as the launcher runs it ({@code java -cp ...
 * org.apache.spark.deploy.SparkSubmit}): in this JVM it would stop the shared Spark session of the other tests (for a
 * k8s master SparkSubmit stops the active SparkContext when the application returns) and would end the JVM on an
 * error (System.exit). {@code spark.kubernetes.submission.waitAppCompletion=false}: it returns once the pod exists.
 * The Spark settings are those {@code protospark spark-conf} resolves from {@code submit/k8s/kubernetes.conf} with
 * GPU executors, as the launcher passes them. The executor pods, which only a running driver would create, are built
 * in this JVM by Spark's executor pod builder from the same settings. No Kubernetes cluster runs anything here: nothing checks that a real API
 * server, kubelet or the image would accept the pod.
 */
class K8sSubmitTest {
    private static final String IMAGE_JAR = "local:///opt/protospark/spark-jobs/target/protospark-job.jar";
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    /** Part of what the launcher passes as spark.executor.extraJavaOptions. */
    private static final String EXECUTOR_OPTS = "--add-opens=java.base/java.nio=ALL-UNNAMED "
            + "-Dorg.bytedeco.javacpp.maxphysicalbytes=10G";

    private static KubernetesMockServer server;
    private static KubernetesClient client;
    private static String master;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new ApplyCreates(), false);
        server.init();
        client = server.createClient();
        master = "k8s://http://" + server.getHostName() + ":" + server.getPort();
    }

    @AfterAll
    static void stopServer() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.destroy();
        }
    }

    /**
     * The CRUD dispatcher of kubernetes-server-mock 6.7.2 answers a server-side apply (PATCH, content type
     * {@code application/apply-patch+yaml}) of an object that does not exist with 404; a real API server creates it.
     * Spark 3.5's submission client applies the driver's service and ConfigMaps that way after creating the pod.
     */
    static final class ApplyCreates extends KubernetesCrudDispatcher {
        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String body = request.getBody().clone().readUtf8();
            MockResponse patched = super.handlePatch(request);
            String type = request.getHeader("Content-Type");
            if (!patched.getStatus().contains(" 404") || type == null || !type.contains("apply-patch")) {
                return patched;
            }
            String path = request.getPath();
            int query = path.indexOf('?');
            String item = query < 0 ? path : path.substring(0, query);
            String collection = item.substring(0, item.lastIndexOf('/'));
            String json = Serialization.asJson(Serialization.unmarshal(body, GenericKubernetesResource.class));
            RecordedRequest create = new RecordedRequest("POST " + collection + " HTTP/1.1",
                    Headers.of("Content-Type", "application/json"), List.of(), json.length(),
                    new Buffer().writeUtf8(json), request.getSequenceNumber(), new java.net.Socket());
            return handleCreate(create);
        }
    }

    /** {@code protospark spark-conf} of a run file including kubernetes.conf, pod templates made absolute. */
    private static List<String> jobSparkConf(String... extraLines) throws IOException {
        Path run = tmp.resolve("run-" + System.nanoTime() + ".conf");
        Files.writeString(run, "include \"" + REPO.resolve("submit/k8s/kubernetes.conf").toUri() + "\"\n"
                + String.join("\n", extraLines) + "\n");
        CommandRun o = CommandRun.of("spark-conf", "--conf", run.toString(), "--master", master);
        assertEquals(0, o.code(), o.err());
        List<String> lines = new ArrayList<>();
        for (String line : o.out().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String key = line.substring(0, line.indexOf('='));
            String value = line.substring(line.indexOf('=') + 1);
            // what the launcher does with a relative pod template: the repository's file
            if (key.endsWith(".podTemplateFile") && !value.startsWith("/")) {
                value = REPO.resolve(value).toString();
            }
            lines.add(key + "=" + value);
        }
        return lines;
    }

    /** Runs SparkSubmit in cluster mode; returns its output. */
    private static String submit(List<String> confs, String... jobArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "org.apache.spark.deploy.SparkSubmit",
                "--master", master, "--deploy-mode", "cluster", "--class", "io.protospark.jobs.Main",
                "--conf", "spark.kubernetes.submission.waitAppCompletion=false",
                "--conf", "spark.driver.extraJavaOptions=--add-opens=java.base/java.nio=ALL-UNNAMED "
                        + "-Dorg.bytedeco.javacpp.maxphysicalbytes=10G",
                "--conf", "spark.executor.extraJavaOptions=" + EXECUTOR_OPTS));
        for (String c : confs) {
            cmd.add("--conf");
            cmd.add(c);
        }
        cmd.add(IMAGE_JAR);
        cmd.addAll(List.of(jobArgs));
        Path log = tmp.resolve("submit-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString()); // only the master URL counts
        pb.environment().remove("SPARK_HOME");
        pb.environment().remove("SPARK_CONF_DIR");
        Process p = pb.start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertTrue(done, "SparkSubmit did not return within 120 s:\n" + out);
        assertEquals(0, p.exitValue(), "SparkSubmit failed:\n" + out);
        return out;
    }

    private static Properties driverSparkProperties(String namespace) throws IOException {
        for (ConfigMap cm : client.configMaps().inNamespace(namespace).list().getItems()) {
            String props = cm.getData() == null ? null : cm.getData().get("spark.properties");
            if (props != null) {
                Properties p = new Properties();
                p.load(new StringReader(props));
                return p;
            }
        }
        throw new AssertionError("no ConfigMap with spark.properties in " + namespace + ": "
                + client.configMaps().inNamespace(namespace).list().getItems());
    }

    @Test
    void clusterModeTrainMakesTheDriverPodOfTheImageWithTheTemplatesVolumes() throws Exception {
        List<String> confs = jobSparkConf("protospark.train.gpus-per-worker = 1",
                "protospark.spark { \"spark.authenticate\" = true",
                "  \"spark.kubernetes.driver.secrets.protospark-auth\" = /etc/protospark-auth",
                "  \"spark.kubernetes.executor.secrets.protospark-auth\" = /etc/protospark-auth",
                "  \"spark.authenticate.secret.driver.file\" = /etc/protospark-auth/secret",
                "  \"spark.authenticate.secret.executor.file\" = /etc/protospark-auth/secret }");
        assertTrue(confs.contains("spark.kubernetes.container.image=protospark:cpu"), confs.toString());
        assertTrue(confs.contains("spark.executor.resource.gpu.vendor=nvidia.com"), confs.toString());
        assertTrue(confs.contains("spark.executor.resource.gpu.discoveryScript=/opt/protospark/submit/gpu-discovery.sh"),
                confs.toString());
        submit(confs, "train", "--conf", "/etc/protospark/run.conf", "--data", "/data/fashion-mnist",
                "--run-dir", "/runs/fashion-mnist");

        Pod pod = client.pods().inNamespace("protospark").withName("protospark-driver").get();
        assertNotNull(pod, "no driver pod protospark-driver in namespace protospark: "
                + client.pods().inAnyNamespace().list().getItems().stream().map(x -> x.getMetadata().getName())
                .toList());
        assertEquals("protospark", pod.getSpec().getServiceAccountName(), "the ServiceAccount of rbac.yaml");
        Container c = pod.getSpec().getContainers().get(0);
        assertEquals("protospark:cpu", c.getImage());
        List<String> args = c.getArgs();
        assertEquals("driver", args.get(0), "the image's entrypoint runs a driver: " + args);
        assertEquals("io.protospark.jobs.Main", args.get(args.indexOf("--class") + 1), args.toString());
        int jar = args.indexOf(IMAGE_JAR);
        assertTrue(jar > 0, "the image's job jar as the primary resource: " + args);
        assertEquals(List.of("train", "--conf", "/etc/protospark/run.conf", "--data", "/data/fashion-mnist",
                "--run-dir", "/runs/fashion-mnist"), args.subList(jar + 1, args.size()), "the job's arguments");

        // the pod template's volumes and mounts, beside Spark's own
        Map<String, String> mounts = c.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getName, VolumeMount::getMountPath, (a, b) -> a));
        assertEquals("/data", mounts.get("data"), mounts.toString());
        assertEquals("/runs", mounts.get("runs"), mounts.toString());
        assertEquals("/etc/protospark", mounts.get("conf"), mounts.toString());
        assertTrue(pod.getSpec().getVolumes().stream().anyMatch(v -> "runs".equals(v.getName())
                && v.getPersistentVolumeClaim() != null
                && "protospark-runs".equals(v.getPersistentVolumeClaim().getClaimName())), "PVC protospark-runs");

        // spark.authenticate with a mounted secret: the secret's volume on the driver, the file named in its conf
        assertTrue(pod.getSpec().getVolumes().stream().anyMatch(v -> v.getSecret() != null
                && "protospark-auth".equals(v.getSecret().getSecretName())), "the auth secret's volume");
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> "/etc/protospark-auth".equals(m.getMountPath())),
                "the auth secret mounted: " + mounts);

        // the driver itself asks for no GPU; its executors will (the settings travel in its configuration)
        Map<String, Quantity> limits = c.getResources().getLimits();
        assertNull(limits == null ? null : limits.get("nvidia.com/gpu"), "driver GPU limit: " + limits);
        Properties driverConf = driverSparkProperties("protospark");
        assertEquals("true", driverConf.getProperty("spark.authenticate"));
        assertEquals("/etc/protospark-auth/secret", driverConf.getProperty("spark.authenticate.secret.executor.file"));
        assertEquals("1", driverConf.getProperty("spark.executor.resource.gpu.amount"));
        assertEquals("1", driverConf.getProperty("spark.task.resource.gpu.amount"));
        assertEquals("nvidia.com", driverConf.getProperty("spark.executor.resource.gpu.vendor"));
        assertEquals("PCI_BUS_ID", driverConf.getProperty("spark.executorEnv.CUDA_DEVICE_ORDER"));
        assertTrue(driverConf.getProperty("spark.driver.extraJavaOptions", "").contains("--add-opens="),
                "the JVM flags reach the driver pod: " + driverConf);
        assertTrue(driverConf.getProperty("spark.executor.extraJavaOptions", "").contains("maxphysicalbytes"),
                "and its executors: " + driverConf);
        // the executor pod template travels to the driver (Spark mounts it from a ConfigMap)
        assertFalse(driverConf.getProperty("spark.kubernetes.executor.podTemplateFile", "").isEmpty(),
                driverConf.toString());
    }

    /**
     * The executor pods are made by the driver, which no test runs; this builds one as the driver's scheduler backend
     * does ({@code KubernetesExecutorBuilder}, Spark's private API, stable within 3.5) from the same settings, with
     * the mock server's client loading the executor pod template.
     */
    @Test
    void executorPodsGetTheirGpuTheAuthSecretAndTheTemplatesVolumes() throws Exception {
        org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false);
        for (String line : jobSparkConf("protospark.train.gpus-per-worker = 1",
                "protospark.spark { \"spark.authenticate\" = true }")) {
            conf.set(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        }
        conf.set("spark.master", master).set("spark.app.id", "spark-protospark-test")
                .set("spark.driver.host", "protospark-driver-svc.protospark.svc").set("spark.driver.port", "7078")
                .set("spark.kubernetes.executor.podNamePrefix", "protospark-train")
                .set("spark.executor.extraJavaOptions", EXECUTOR_OPTS);
        org.apache.spark.SecurityManager security = new org.apache.spark.SecurityManager(conf, scala.Option.empty(),
                org.apache.spark.internal.config.package$.MODULE$.AUTH_SECRET_FILE_EXECUTOR());
        security.initializeAuth(); // on Kubernetes: a generated secret, which the executors get in their environment
        // the default resource profile is a JVM-wide cache (the shared test session made one): this conf's, then none
        org.apache.spark.resource.ResourceProfile$.MODULE$.clearDefaultProfile();
        Pod pod;
        try {
            org.apache.spark.resource.ResourceProfile profile =
                    org.apache.spark.resource.ResourceProfile$.MODULE$.getOrCreateDefaultProfile(conf);
            var executorConf = org.apache.spark.deploy.k8s.KubernetesConf.createExecutorConf(conf, "1",
                    "spark-protospark-test", scala.Option.empty(), profile.id());
            var spec = new org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBuilder()
                    .buildFromFeatures(executorConf, security, client, profile);
            pod = new io.fabric8.kubernetes.api.model.PodBuilder(spec.pod().pod()).editSpec()
                    .withContainers(spec.pod().container()).endSpec().build();
        } finally {
            org.apache.spark.resource.ResourceProfile$.MODULE$.clearDefaultProfile();
        }
        Container c = pod.getSpec().getContainers().get(0);
        assertEquals("protospark:cpu", c.getImage());
        assertEquals("executor", c.getArgs().get(0), c.getArgs().toString());
        Map<String, Quantity> limits = c.getResources().getLimits();
        assertEquals(new Quantity("1"), limits.get("nvidia.com/gpu"), "the executor's GPU: " + limits);
        Map<String, String> env = c.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue(), (a, b) -> a));
        assertEquals(security.getSecretKey(), env.get("_SPARK_AUTH_SECRET"), "spark.authenticate's secret");
        assertEquals("PCI_BUS_ID", env.get("CUDA_DEVICE_ORDER"), env.keySet().toString());
        List<String> javaOpts = env.entrySet().stream().filter(e -> e.getKey().startsWith("SPARK_JAVA_OPT_"))
                .map(Map.Entry::getValue).toList();
        assertTrue(javaOpts.contains("--add-opens=java.base/java.nio=ALL-UNNAMED")
                && javaOpts.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=10G"), "executor JVM options: " + javaOpts);
        Map<String, String> mounts = c.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getName, VolumeMount::getMountPath, (a, b) -> a));
        assertEquals("/data", mounts.get("data"), mounts.toString());
        assertEquals("/runs", mounts.get("runs"), mounts.toString());
        assertEquals("/dev/shm", mounts.get("dshm"), mounts.toString());
        assertTrue(pod.getSpec().getTolerations().stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())),
                "the template's GPU toleration");
    }

    @Test
    void sparkConfChecksGpusPerWorkerAndSchedulesGpusOnClustersOnly() {
        // gpus-per-worker above one is refused with the key and a fix, before anything is submitted
        CommandRun o = CommandRun.of("spark-conf", "--master", "k8s://http://localhost:1",
                "train.gpus-per-worker=2");
        assertEquals(2, o.code(), o.out());
        assertTrue(o.err().contains("protospark.train.gpus-per-worker"), o.err());
        CommandRun half = CommandRun.of("spark-conf", "--master", "spark://h:7077", "train.gpus-per-worker=0.5");
        assertEquals(0, half.code(), half.err());
        assertTrue(half.out().contains("spark.task.resource.gpu.amount=0.5\n"), half.out());
        assertFalse(half.out().contains("gpu.vendor"), "vendor only on Kubernetes: " + half.out());
        assertTrue(half.out().contains("submit" + File.separator + "gpu-discovery.sh"), half.out());
        CommandRun local = CommandRun.of("spark-conf", "train.gpus-per-worker=1");
        assertEquals("", local.out(), "local mode schedules no GPUs");
    }
}
