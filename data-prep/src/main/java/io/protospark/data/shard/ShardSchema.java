package io.protospark.data.shard;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet schema of every shard: one row per example, pixels as uint8 in channel-major (CHW), row-major
 * order, so pixel {@code (c, y, x)} is byte {@code (c * height + y) * width + x}. Formats with more per-example
 * data append columns after these six (CIFAR-100: {@link #COARSE_LABEL}); readers select the columns they need.
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

    /**
     * binary, data sets prepared with {@code prepare.store = encoded}: the image file's bytes (JPEG, or PNG as the
     * source had it), in place of {@link #PIXELS}; {@link #HEIGHT} and {@link #WIDTH} give the stored image's own size.
     */
    public static final String ENCODED = "encoded";

    /** {@code id long, label int, height int, width int, channels int, encoded binary}, all non-null. */
    public static final StructType ENCODED_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(ID, DataTypes.LongType, false),
            DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, false),
            DataTypes.createStructField(WIDTH, DataTypes.IntegerType, false),
            DataTypes.createStructField(CHANNELS, DataTypes.IntegerType, false),
            DataTypes.createStructField(ENCODED, DataTypes.BinaryType, false),
    });

    /** int, CIFAR-100 only: the coarse (super-class) label in [0, 20); training reads only id, label, pixels. */
    public static final String COARSE_LABEL = "coarse_label";

    /** {@link #SCHEMA} followed by {@code coarse_label int}. */
    public static final StructType SCHEMA_COARSE = SCHEMA.add(
            DataTypes.createStructField(COARSE_LABEL, DataTypes.IntegerType, false));

    /** int, pair shards: the fold of the pair in the 10-fold verification protocol. */
    public static final String FOLD = "fold";
    /** binary, pair shards: the first image of the pair, CHW uint8. */
    public static final String PIXELS_A = "pixels_a";
    /** binary, pair shards: the second image of the pair, CHW uint8. */
    public static final String PIXELS_B = "pixels_b";

    /**
     * Verification pairs (face verification sets): {@code id long} (pair index in the source), {@code label int}
     * (1 = same identity, 0 = different), {@code fold int}, {@code height, width, channels int},
     * {@code pixels_a, pixels_b binary}. Manifests of such data sets say {@code "schema": "pairs"}.
     */
    public static final StructType PAIR_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(ID, DataTypes.LongType, false),
            DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField(FOLD, DataTypes.IntegerType, false),
            DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, false),
            DataTypes.createStructField(WIDTH, DataTypes.IntegerType, false),
            DataTypes.createStructField(CHANNELS, DataTypes.IntegerType, false),
            DataTypes.createStructField(PIXELS_A, DataTypes.BinaryType, false),
            DataTypes.createStructField(PIXELS_B, DataTypes.BinaryType, false),
    });

    /** Approximate per-row overhead besides the pixels: id, four ints and the binary length. */
    public static final int ROW_OVERHEAD_BYTES = 8 + 4 * 4 + 4;

    private ShardSchema() {
    }
}
