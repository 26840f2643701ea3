package io.protospark.jobs;

import io.protospark.model.targets.TargetsStore;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Targets files are opened with the application's spark.hadoop.* settings, found through the service registration. */
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
