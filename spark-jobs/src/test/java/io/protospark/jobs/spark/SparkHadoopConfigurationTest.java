package io.protospark.jobs.spark;

import io.protospark.model.targets.TargetsStore;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Targets files are opened with the application's spark.hadoop.* settings, found through the service registration.
 * Tagged {@value SharedSpark#OWN_SESSION}: it starts a session with a spark.hadoop.* setting of its own and stops it
 * to see the answer outside a Spark application, so it runs in a JVM of its own, not beside the shared session.
 */
@Tag(SharedSpark.OWN_SESSION)
class SparkHadoopConfigurationTest {
    @Test
    void targetsStoreSeesTheApplicationsHadoopSettings() {
        SparkSession spark = SparkSessions.create("protospark-test", "local[1]", Map.of("spark.ui.enabled", "false",
                "spark.driver.host", "127.0.0.1", "spark.hadoop.protospark.test.marker", "from-spark-conf"));
        try {
            assertEquals("from-spark-conf", TargetsStore.hadoopConfiguration().get("protospark.test.marker"));
        } finally {
            spark.stop();
        }
        // no Spark application in this JVM any more: the plain default
        assertEquals(null, TargetsStore.hadoopConfiguration().get("protospark.test.marker"));
    }
}
