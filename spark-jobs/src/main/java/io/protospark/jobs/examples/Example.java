package io.protospark.jobs.examples;

import java.io.Serializable;

/** One example: label and uint8 pixels (CHW), as read from the Parquet shards. */
public record Example(int label, byte[] pixels) implements Serializable {
}
