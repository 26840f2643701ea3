package io.protospark.jobs.train;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Spark settings in a protospark.spark block keep their dotted names, quoted or not. */
class SparkConfKeysTest {
    @Test
    void quotedAndNestedKeysBecomeSparkNames() {
        Map<String, String> m = TrainSettings.sparkConfOf(ConfigFactory.parseString(
                "protospark.spark { \"spark.executor.memory\" = 2g, spark.executor.memoryOverhead = 12g }"));
        assertEquals(Map.of("spark.executor.memory", "2g", "spark.executor.memoryOverhead", "12g"), m);
    }

    @Test
    void quotedSparkKeysPassTheKnownKeyCheck() {
        var c = io.protospark.config.Configs.load(null, "test",
                List.of("protospark.spark.\"spark.executor.memory\"=2g"));
        assertEquals("2g", TrainSettings.sparkConfOf(c).get("spark.executor.memory"));
    }
}
