package io.protospark.data.source;

import io.protospark.data.shard.ShardSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/** Rows from {@link ImageArrays}: the common columns, plus {@code coarse_label} when the arrays have one. */
public record ArrayRows(ImageArrays data) implements RowSource {
    @Override
    public StructType schema() {
        return data.hasCoarseLabels() ? ShardSchema.SCHEMA_COARSE : ShardSchema.SCHEMA;
    }

    @Override
    public long bytesPerRow() {
        return data.imageBytes() + ShardSchema.ROW_OVERHEAD_BYTES;
    }

    @Override
    public Row row(int index, int label) {
        if (data.hasCoarseLabels()) {
            return RowFactory.create((long) index, label, data.height(), data.width(), data.channels(),
                    data.image(index), data.coarseLabel(index));
        }
        return RowFactory.create((long) index, label, data.height(), data.width(), data.channels(),
                data.image(index));
    }
}
