package io.protospark.data.source;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;

/**
 * Makes the shard row of one source example on an executor: from an in-memory array (broadcast) or by decoding
 * a file. Implementations are serialisable and broadcast once per split.
 */
public interface RowSource extends Serializable {
    /** The shard schema of the rows (the common columns first, see {@code ShardSchema}). */
    StructType schema();

    /** Approximate bytes of one row, for the shard-size target. */
    long bytesPerRow();

    /**
     * The row of source example {@code index} with output label {@code label}, or {@code null} when the example
     * is to be skipped (corrupt image under policy {@code skip}).
     */
    Row row(int index, int label);

    /** The {@code id} column of source example {@code index}: the index itself unless the format numbers otherwise. */
    default long id(int index) {
        return index;
    }

    /** Whether {@link #row} may return {@code null}, so written counts must be read back. */
    default boolean maySkip() {
        return false;
    }
}
