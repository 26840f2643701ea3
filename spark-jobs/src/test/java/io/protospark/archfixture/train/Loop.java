package io.protospark.archfixture.train;

import io.protospark.archfixture.Entry;

/** Fixture: a training class that calls back into an entry point. */
public final class Loop {
    private Loop() {
    }

    public static int run() {
        return Entry.name().length();
    }
}
