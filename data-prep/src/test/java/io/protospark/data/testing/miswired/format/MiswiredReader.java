package io.protospark.data.testing.miswired.format;

import io.protospark.data.testing.miswired.MiswiredJob;

import java.util.zip.CRC32;

/** A format package that imports its job package (a cycle) and uses a package the rules may forbid. */
public final class MiswiredReader {
    private MiswiredReader() {
    }

    public static int read() {
        CRC32 crc = new CRC32();
        crc.update(MiswiredJob.name().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return (int) crc.getValue();
    }
}
