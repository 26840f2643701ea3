package io.protospark.jobs.common;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * One Parquet file written from the driver with parquet-hadoop (no Spark job): for results already gathered on the
 * driver, such as {@code evaluate}'s per-example rows. The file has the layout Spark itself writes for the same
 * {@link StructType} (nullable columns optional, arrays as the standard three-level LIST, strings UTF-8), so
 * {@code spark.read.parquet}, pandas and pyarrow read it back with that schema.
 */
public final class ParquetFiles {
    private ParquetFiles() {
    }

    /** Writes {@code rows} (values in {@code schema}'s order and types) as the Snappy-compressed file {@code file}. */
    public static void write(Path file, StructType schema, List<Row> rows, Configuration conf) {
        MessageType type = messageType(schema);
        SimpleGroupFactory groups = new SimpleGroupFactory(type);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withConf(conf).withType(type)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.CREATE).build()) {
            StructField[] fields = schema.fields();
            for (Row r : rows) {
                Group g = groups.newGroup();
                for (int i = 0; i < fields.length; i++) {
                    if (!r.isNullAt(i)) {
                        add(g, fields[i], r.get(i));
                    } else if (!fields[i].nullable()) {
                        throw new IllegalArgumentException("column '" + fields[i].name() + "' is not nullable but a "
                                + "row holds null: " + r);
                    }
                }
                w.write(g);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The Parquet schema Spark writes for {@code schema} (the types used here: long, int, boolean, double, string,
     * arrays of those). */
    static MessageType messageType(StructType schema) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        for (StructField f : schema.fields()) {
            b.addField(type(f.name(), f.dataType(), f.nullable()));
        }
        return b.named("spark_schema");
    }

    private static Type type(String name, DataType t, boolean nullable) {
        Type.Repetition rep = nullable ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
        if (t instanceof ArrayType a) {
            return Types.buildGroup(rep).as(LogicalTypeAnnotation.listType())
                    .addField(Types.repeatedGroup().addField(type("element", a.elementType(), a.containsNull()))
                            .named("list"))
                    .named(name);
        }
        if (t.equals(DataTypes.StringType)) {
            return Types.primitive(PrimitiveTypeName.BINARY, rep).as(LogicalTypeAnnotation.stringType()).named(name);
        }
        return Types.primitive(primitive(name, t), rep).named(name);
    }

    private static PrimitiveTypeName primitive(String name, DataType t) {
        if (t.equals(DataTypes.LongType)) {
            return PrimitiveTypeName.INT64;
        }
        if (t.equals(DataTypes.IntegerType)) {
            return PrimitiveTypeName.INT32;
        }
        if (t.equals(DataTypes.BooleanType)) {
            return PrimitiveTypeName.BOOLEAN;
        }
        if (t.equals(DataTypes.DoubleType)) {
            return PrimitiveTypeName.DOUBLE;
        }
        if (t.equals(DataTypes.FloatType)) {
            return PrimitiveTypeName.FLOAT;
        }
        throw new IllegalArgumentException("column '" + name + "': type " + t.simpleString() + " is not supported");
    }

    private static void add(Group g, StructField f, Object v) {
        String n = f.name();
        if (f.dataType() instanceof ArrayType a) {
            Group list = g.addGroup(n);
            for (Object e : asList(v)) {
                Group element = list.addGroup("list");
                if (e != null) {
                    addValue(element, "element", a.elementType(), e);
                }
            }
            return;
        }
        addValue(g, n, f.dataType(), v);
    }

    private static Iterable<?> asList(Object v) {
        if (v instanceof Iterable<?> it) {
            return it;
        }
        if (v instanceof Object[] arr) {
            return java.util.Arrays.asList(arr);
        }
        throw new IllegalArgumentException("an array column holds a " + v.getClass().getName());
    }

    private static void addValue(Group g, String n, DataType t, Object v) {
        if (t.equals(DataTypes.LongType)) {
            g.add(n, ((Number) v).longValue());
        } else if (t.equals(DataTypes.IntegerType)) {
            g.add(n, ((Number) v).intValue());
        } else if (t.equals(DataTypes.BooleanType)) {
            g.add(n, (Boolean) v);
        } else if (t.equals(DataTypes.DoubleType)) {
            g.add(n, ((Number) v).doubleValue());
        } else if (t.equals(DataTypes.FloatType)) {
            g.add(n, ((Number) v).floatValue());
        } else if (t.equals(DataTypes.StringType)) {
            g.add(n, v.toString());
        } else {
            throw new IllegalArgumentException("column '" + n + "': type " + t.simpleString() + " is not supported");
        }
    }
}
