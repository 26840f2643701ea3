package io.protospark.archfixture.examples;

import org.apache.spark.SparkConf;

/** Fixture: minibatch code that needs Spark. */
public final class Decoder {
    private Decoder() {
    }

    public static String master() {
        return new SparkConf().get("spark.master", "local");
    }
}
