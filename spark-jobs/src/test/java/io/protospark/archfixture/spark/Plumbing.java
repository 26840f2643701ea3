package io.protospark.archfixture.spark;

import io.protospark.archfixture.train.Loop;

/** Fixture: Spark plumbing that uses the training loop above it. */
public final class Plumbing {
    private Plumbing() {
    }

    public static int rounds() {
        return Loop.run();
    }
}
