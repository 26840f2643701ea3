package io.protospark.data.shard;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet schema of every shard: one row per example, pixels as uint8 in channel-major (CHW), row-major
 * order, so pixel {@code (c, y, x)} is byte {@code (c * height + y) * width + x}.
 */
public final class ShardSchema {
    /** long: the example's index within its split's source file (stable across runs). */
    public static final String ID = "id";
    /** int: the class, in [0, classes). */
    public static final String LABEL = "label";
    /** int: image height in pixels. */
    public static final String HEIGHT = "height";
    /** int: image width in pixels. */
    public static final String WIDTH = "width";
    /** int: number of channels (1 for grey-scale). */
    public static final String CHANNELS = "channels";
    /** binary: height * width * channels uint8 values, CHW order. */
    public static final String PIXELS = "pixels";

    /** {@code id long, label int, height int, width int, channels int, pixels binary}, all non-null. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(ID, DataTypes.LongType, false),
            DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, false),
            DataTypes.createStructField(WIDTH, DataTypes.IntegerType, false),
            DataTypes.createStructField(CHANNELS, DataTypes.IntegerType, false),
            DataTypes.createStructField(PIXELS, DataTypes.BinaryType, false),
    });

    private ShardSchema() {
    }
}
