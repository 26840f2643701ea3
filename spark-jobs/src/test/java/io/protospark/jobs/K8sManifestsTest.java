package io.protospark.jobs;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every YAML file in {@code submit/k8s/} parses into fabric8's Kubernetes model (the kubernetes-client 6.7.2 that
 * spark-kubernetes brings; the SparkApplication as a generic resource), and its key fields are what the launcher,
 * the image and the other files expect. No cluster: a real API server may still refuse what this model accepts.
 */
class K8sManifestsTest {
    static final Path K8S = Path.of("..", "submit", "k8s").toAbsolutePath().normalize();
    private static final String IMAGE_JAR = "local:///opt/protospark/spark-jobs/target/protospark-job.jar";

    /** The documents of a YAML file, each as the model class its kind maps to. */
    static List<HasMetadata> load(String name) {
        Path file = K8S.resolve(name);
        List<HasMetadata> docs = new ArrayList<>();
        try {
            for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
                if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                    continue;
                }
                docs.add(Serialization.unmarshal(doc, HasMetadata.class));
            }
        } catch (IOException | RuntimeException e) {
            fail(file + " does not parse as Kubernetes objects: " + e, e);
        }
        assertFalse(docs.isEmpty(), file + " holds no object");
        return docs;
    }

    static <T> T only(String name, Class<T> type) {
        List<HasMetadata> docs = load(name);
        assertEquals(1, docs.size(), name + ": one object expected");
        assertTrue(type.isInstance(docs.get(0)), name + ": a " + type.getSimpleName() + " expected, found "
                + docs.get(0).getClass().getSimpleName());
        return type.cast(docs.get(0));
    }

    @Test
    void everyYamlFileIsCheckedHere() throws IOException {
        try (Stream<Path> files = Files.list(K8S)) {
            Set<String> yaml = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(List.of("cronjob.yaml", "driver-pod-template.yaml",
                    "executor-pod-template.yaml", "rbac.yaml", "spark-application.yaml")), yaml,
                    "a new YAML file in " + K8S + " needs its checks in K8sManifestsTest");
        }
    }

    @Test
    void rbacGivesTheDriverWhatSparkCreates() {
        List<HasMetadata> docs = load("rbac.yaml");
        ServiceAccount sa = docs.stream().filter(ServiceAccount.class::isInstance).map(ServiceAccount.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError("rbac.yaml: no ServiceAccount"));
        Role role = docs.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst()
                .orElseThrow(() -> new AssertionError("rbac.yaml: no Role"));
        RoleBinding binding = docs.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError("rbac.yaml: no RoleBinding"));
        assertEquals("protospark", sa.getMetadata().getName(), "rbac.yaml: the ServiceAccount the templates name");
        for (String resource : List.of("pods", "services", "configmaps", "persistentvolumeclaims")) {
            for (String verb : List.of("create", "get", "list", "watch", "delete", "deletecollection")) {
                assertTrue(role.getRules().stream().anyMatch(r -> allows(r, resource, verb)),
                        "rbac.yaml: the Role does not allow " + verb + " on " + resource);
            }
        }
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName(), "rbac.yaml: roleRef");
        assertEquals("Role", binding.getRoleRef().getKind(), "rbac.yaml: roleRef kind");
        assertTrue(binding.getSubjects().stream().anyMatch(s -> "ServiceAccount".equals(s.getKind())
                && sa.getMetadata().getName().equals(s.getName())
                && sa.getMetadata().getNamespace().equals(s.getNamespace())), "rbac.yaml: binds the ServiceAccount");
    }

    private static boolean allows(PolicyRule r, String resource, String verb) {
        return r.getApiGroups().contains("") && r.getResources().contains(resource) && r.getVerbs().contains(verb);
    }

    @Test
    void podTemplatesMountDataAndRunDirectories() {
        for (String name : List.of("driver-pod-template.yaml", "executor-pod-template.yaml")) {
            Pod pod = only(name, Pod.class);
            Container c = pod.getSpec().getContainers().get(0);
            Map<String, String> mounts = c.getVolumeMounts().stream()
                    .collect(Collectors.toMap(m -> m.getName(), m -> m.getMountPath()));
            assertEquals("/data", mounts.get("data"), name + ": data mount");
            assertEquals("/runs", mounts.get("runs"), name + ": run directory mount");
            Map<String, Volume> volumes = pod.getSpec().getVolumes().stream()
                    .collect(Collectors.toMap(Volume::getName, v -> v));
            assertEquals("protospark-data", volumes.get("data").getPersistentVolumeClaim().getClaimName(), name);
            assertTrue(volumes.get("data").getPersistentVolumeClaim().getReadOnly(), name + ": data read only");
            assertEquals("protospark-runs", volumes.get("runs").getPersistentVolumeClaim().getClaimName(), name);
            assertTrue(c.getImage() == null && c.getCommand().isEmpty() && c.getArgs().isEmpty(),
                    name + ": image and command come from Spark's settings, not the template");
        }
        Pod driver = only("driver-pod-template.yaml", Pod.class);
        assertEquals("protospark", driver.getSpec().getServiceAccountName(), "driver-pod-template.yaml");
        assertEquals("spark-kubernetes-driver", driver.getSpec().getContainers().get(0).getName());
        Pod executor = only("executor-pod-template.yaml", Pod.class);
        assertTrue(executor.getSpec().getTolerations().stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())),
                "executor-pod-template.yaml: tolerates GPU nodes' taint");
    }

    @Test
    void cronJobRunsTheLauncherAsTheServiceAccount() {
        CronJob cron = only("cronjob.yaml", CronJob.class);
        assertEquals("Forbid", cron.getSpec().getConcurrencyPolicy(), "cronjob.yaml");
        var pod = cron.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        assertEquals("protospark", pod.getServiceAccountName(), "cronjob.yaml: rbac.yaml's ServiceAccount");
        Container c = pod.getContainers().get(0);
        assertEquals(List.of("/opt/protospark/submit/protospark"), c.getCommand(), "cronjob.yaml: the launcher");
        assertEquals("train", c.getArgs().get(0), "cronjob.yaml");
        assertTrue(c.getImage().startsWith("protospark:"), "cronjob.yaml: image " + c.getImage());
    }

    @Test
    void sparkApplicationRunsTheJobJarWithTheLaunchersJvmFlags() throws IOException {
        GenericKubernetesResource app = only("spark-application.yaml", GenericKubernetesResource.class);
        String f = "spark-application.yaml: ";
        assertEquals("sparkoperator.k8s.io/v1beta2", app.getApiVersion(), f + "apiVersion");
        assertEquals("SparkApplication", app.getKind(), f + "kind");
        Map<String, Object> spec = map(app.getAdditionalProperties().get("spec"), f + "spec");
        assertEquals("Java", spec.get("type"), f + "type");
        assertEquals("cluster", spec.get("mode"), f + "mode");
        assertEquals("io.protospark.jobs.Main", spec.get("mainClass"), f + "mainClass");
        assertEquals(IMAGE_JAR, spec.get("mainApplicationFile"), f + "mainApplicationFile");
        assertTrue(String.valueOf(spec.get("image")).startsWith("protospark:"), f + "image");
        List<?> args = (List<?>) spec.get("arguments");
        assertEquals("train", args.get(0), f + "arguments");
        assertTrue(args.contains("--conf"), f + "arguments: --conf");
        assertEquals("3.5.5", spec.get("sparkVersion"), f + "sparkVersion");
        // the launcher's --add-opens list is the parent pom's jvm.add.opens: the operator needs all of it too
        Matcher m = Pattern.compile("<jvm.add.opens>([^<]*)</jvm.add.opens>").matcher(
                Files.readString(Path.of("..", "pom.xml")));
        assertTrue(m.find(), "no jvm.add.opens in the parent pom");
        for (String role : List.of("driver", "executor")) {
            Map<String, Object> r = map(spec.get(role), f + role);
            String opts = String.valueOf(r.get("javaOptions"));
            for (String open : m.group(1).trim().split("\\s+")) {
                assertTrue(opts.contains(open), f + role + ".javaOptions lacks " + open);
            }
            assertTrue(opts.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes="), f + role + ": ND4J's limit");
            List<?> mounts = (List<?>) r.get("volumeMounts");
            assertTrue(mounts.stream().anyMatch(x -> "/runs".equals(map(x, f).get("mountPath"))), f + role
                    + " mounts the run directories");
        }
        assertEquals("protospark", map(spec.get("driver"), f).get("serviceAccount"), f + "driver.serviceAccount");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        assertNotNull(o, what + " missing");
        assertTrue(o instanceof Map, what + " is not a mapping");
        return (Map<String, Object>) o;
    }
}
