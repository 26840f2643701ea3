package io.protospark.data.testing.miswired;

import io.protospark.data.testing.miswired.format.MiswiredReader;

/** A job package wired the wrong way, for {@code PackageLayersCanFailTest}: its format package imports it back. */
public final class MiswiredJob {
    private MiswiredJob() {
    }

    public static int run() {
        return MiswiredReader.read();
    }

    public static String name() {
        return "miswired";
    }
}
