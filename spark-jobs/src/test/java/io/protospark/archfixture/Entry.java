package io.protospark.archfixture;

import io.protospark.archfixture.train.Loop;

/** An entry point of the fixture graph, used by its training package: a back edge and a cycle. */
public final class Entry {
    private Entry() {
    }

    public static String name() {
        return "entry";
    }

    static int run() {
        return Loop.run();
    }
}
