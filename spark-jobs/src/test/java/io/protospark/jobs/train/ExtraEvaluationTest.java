package io.protospark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

/** The mean verification accuracy the loop records beside the sets' own metrics. */
class ExtraEvaluationTest {
    private record Set(String name, boolean verification) implements ExtraEvaluation {
        @Override
        public Map<String, Double> evaluate(JavaSparkContext jsc, ComputationGraph net) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void meanOverTheVerificationSetsOnly() {
        List<ExtraEvaluation> sets = List.of(new Set("lfw", true), new Set("osr", false), new Set("cfp_fp", true));
        Map<String, Double> metrics = Map.of("lfw.accuracy", 0.99, "cfp_fp.accuracy", 0.93, "osr.accuracy", 0.1,
                "osr.closed_set_accuracy", 0.5);
        assertEquals(0.96, ExtraEvaluation.meanVerificationAccuracy(sets, metrics).orElseThrow(), 1e-12);
        assertTrue(ExtraEvaluation.meanVerificationAccuracy(List.of(new Set("osr", false)), metrics).isEmpty());
    }
}
