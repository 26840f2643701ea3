package io.protospark.jobs.train;

import io.protospark.jobs.examples.Example;
import io.protospark.jobs.spark.SharedSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The epoch's permutation depends on seed, epoch and the examples, never on how they arrive. */
class ExampleRddsTest {
    private static List<Example> examples(int n) {
        Random rnd = new Random(7);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[16];
            rnd.nextBytes(pixels);
            out.add(new Example(i % 10, pixels));
        }
        return out;
    }

    /** Each partition's examples, as label + first pixel bytes, in order. */
    private static List<List<String>> layout(JavaRDD<Example> rdd) {
        List<List<String>> out = new ArrayList<>();
        for (List<Example> part : rdd.glom().collect()) {
            out.add(part.stream().map(e -> e.label() + ":" + java.util.Arrays.toString(e.pixels())).toList());
        }
        return out;
    }

    @Test
    void theShuffleIsTheSameWhateverTheInputOrderAndPartitioning() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.session().sparkContext());
        List<Example> data = examples(500);
        List<Example> reversed = new ArrayList<>(data);
        Collections.reverse(reversed);
        JavaRDD<Example> a = jsc.parallelize(data, 3);
        JavaRDD<Example> b = jsc.parallelize(reversed, 7);
        List<List<String>> la = layout(ExampleRdds.shuffle(a, 42, 3, 2));
        assertEquals(la, layout(ExampleRdds.shuffle(b, 42, 3, 2)), "same examples, same permutation");
        assertEquals(500, la.get(0).size() + la.get(1).size());
        assertNotEquals(la, layout(ExampleRdds.shuffle(a, 42, 4, 2)), "another epoch, another permutation");
        assertNotEquals(la, layout(ExampleRdds.shuffle(a, 43, 3, 2)), "another seed, another permutation");
        assertEquals(layout(ExampleRdds.canonical(a, 2)), layout(ExampleRdds.canonical(b, 2)));
    }
}
