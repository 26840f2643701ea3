package io.protospark.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings a cluster session gets before it starts: the container memory overhead on YARN and Kubernetes, and the
 * standalone secret with its check against the master (a real one: {@code StandaloneClusterIT}).
 */
class ClusterSettingsTest {
    @TempDir
    Path tmp;

    private static SparkConf conf(String master) {
        return new SparkConf(false).setMaster(master).set("spark.executor.extraJavaOptions",
                "--add-opens=java.base/java.lang=ALL-UNNAMED -Dorg.bytedeco.javacpp.maxbytes=12G "
                        + "-Dorg.bytedeco.javacpp.maxphysicalbytes=14G");
    }

    @Test
    void containerOverheadHoldsTheExecutorsNd4jLimitOnYarnAndKubernetes() {
        for (String master : new String[]{"yarn", "k8s://https://10.0.0.1:6443"}) {
            SparkConf c = conf(master);
            SparkSessions.containerOverhead(c);
            assertEquals("12800m", c.get("spark.executor.memoryOverhead"), master);
        }
        SparkConf explicit = conf("yarn").set("spark.executor.memoryOverhead", "3g");
        SparkSessions.containerOverhead(explicit);
        assertEquals("3g", explicit.get("spark.executor.memoryOverhead"));
        for (String master : new String[]{"local[2]", "spark://127.0.0.1:7077"}) {
            SparkConf c = conf(master);
            SparkSessions.containerOverhead(c);
            assertFalse(c.contains("spark.executor.memoryOverhead"), master);
        }
    }

    @Test
    void aStandaloneMasterWithAuthenticationNeedsTheSecretFile() throws IOException {
        SparkConf c = new SparkConf(false).setMaster("spark://127.0.0.1:7077").set("spark.authenticate", "true");
        ClusterAuth.ClusterAuthException none = assertThrows(ClusterAuth.ClusterAuthException.class,
                () -> ClusterAuth.prepare(c, Map.<String, String>of()::get));
        assertTrue(none.getMessage().contains("set PROTOSPARK_SPARK_SECRET_FILE"), none.getMessage());

        Path empty = Files.writeString(tmp.resolve("empty.secret"), "\n");
        ClusterAuth.ClusterAuthException blank = assertThrows(ClusterAuth.ClusterAuthException.class,
                () -> ClusterAuth.prepare(c, Map.of(ClusterAuth.SECRET_FILE_ENV, empty.toString())::get));
        assertTrue(blank.getMessage().contains(empty + " (PROTOSPARK_SPARK_SECRET_FILE) is empty"), blank.getMessage());

        Path missing = tmp.resolve("missing.secret");
        ClusterAuth.ClusterAuthException absent = assertThrows(ClusterAuth.ClusterAuthException.class,
                () -> ClusterAuth.prepare(c, Map.of(ClusterAuth.SECRET_FILE_ENV, missing.toString())::get));
        assertTrue(absent.getMessage().contains("cannot read the Spark secret file " + missing), absent.getMessage());
    }

    @Test
    void aMasterThatIsNotListeningIsNamed() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path secret = Files.writeString(tmp.resolve("s.secret"), "abc\n");
        SparkConf c = new SparkConf(false).setMaster("spark://127.0.0.1:" + port).set("spark.authenticate", "true");
        ClusterAuth.ClusterAuthException e = assertThrows(ClusterAuth.ClusterAuthException.class,
                () -> ClusterAuth.prepare(c, Map.of(ClusterAuth.SECRET_FILE_ENV, secret.toString())::get));
        assertTrue(e.getMessage().contains("no Spark master of spark://127.0.0.1:" + port + " could be reached"),
                e.getMessage());
        assertEquals("abc", c.get("spark.authenticate.secret"), "the secret is read from the file, stripped");
    }

    @Test
    void withoutAuthenticationOrOnOtherMastersNothingIsChecked() {
        SparkConf off = new SparkConf(false).setMaster("spark://127.0.0.1:1");
        ClusterAuth.prepare(off, name -> null);
        assertFalse(off.contains("spark.authenticate.secret"));
        SparkConf yarn = new SparkConf(false).setMaster("yarn").set("spark.authenticate", "true");
        ClusterAuth.prepare(yarn, name -> null);
        assertFalse(yarn.contains("spark.authenticate.secret"), "YARN makes its own secret per application");
    }
}
