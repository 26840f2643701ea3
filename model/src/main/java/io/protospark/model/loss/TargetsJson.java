package io.protospark.model.loss;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import io.protospark.model.io.ArrayEntries;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.serde.jackson.shaded.NDArrayTextDeSerializer;
import org.nd4j.shade.jackson.core.JsonGenerator;
import org.nd4j.shade.jackson.core.JsonParser;
import org.nd4j.shade.jackson.databind.DeserializationContext;
import org.nd4j.shade.jackson.databind.JsonDeserializer;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.JsonSerializer;
import org.nd4j.shade.jackson.databind.SerializerProvider;

/**
 * JSON form of a target matrix: {@code {"shape": [K, d], "float64le": "<base64>"}}, the raw little-endian doubles, or,
 * inside a {@code model.zip} and above {@link ArrayEntries#INLINE_LIMIT}, {@code {"shape": [K, d], "entry": "<name>"}}
 * naming the zip entry that holds the matrix ({@link io.protospark.model.io.ModelZip}).
 * Exact, and about a third of the size of decimal text (a 12,000 × 12,500 face-scale centre matrix is 1.2 GB as
 * base64 against roughly 3 GB as text); DL4J Spark ships the configuration to the workers with every averaging round.
 * The reader also accepts ND4J's text form, which configurations written before this format used.
 */
final class TargetsJson {
    private TargetsJson() {
    }

    static final class Serializer extends JsonSerializer<INDArray> {
        @Override
        public void serialize(INDArray a, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (a.rank() != 2) {
                throw new IllegalArgumentException("targets must be a K×d matrix, got rank " + a.rank());
            }
            String entry = ArrayEntries.store(a, "targets");
            gen.writeStartObject();
            gen.writeArrayFieldStart("shape");
            gen.writeNumber(a.rows());
            gen.writeNumber(a.columns());
            gen.writeEndArray();
            if (entry != null) {
                gen.writeStringField("entry", entry);
            } else {
                double[] v = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
                ByteBuffer b = ByteBuffer.allocate(v.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.asDoubleBuffer().put(v);
                gen.writeStringField("float64le", Base64.getEncoder().encodeToString(b.array()));
            }
            gen.writeEndObject();
        }
    }

    static final class Deserializer extends JsonDeserializer<INDArray> {
        @Override
        public INDArray deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode node = p.getCodec().readTree(p);
            if (node == null) {
                throw new IOException("targets: expected an object with shape and float64le");
            }
            if (node.has("entry")) {
                INDArray a = ArrayEntries.load(node.get("entry").asText());
                JsonNode shape = node.get("shape");
                if (shape == null || !shape.isArray() || shape.size() != 2 || a.rank() != 2
                        || a.rows() != shape.get(0).asLong() || a.columns() != shape.get(1).asLong()) {
                    throw new IOException("targets: the entry " + node.get("entry").asText() + " holds a "
                            + java.util.Arrays.toString(a.shape()) + " array, the configuration says " + shape);
                }
                return a;
            }
            if (!node.has("float64le")) {
                // ND4J's text form
                try (JsonParser text = node.traverse(p.getCodec())) {
                    text.nextToken();
                    return new NDArrayTextDeSerializer().deserialize(text, ctx);
                }
            }
            JsonNode shape = node.get("shape");
            if (shape == null || !shape.isArray() || shape.size() != 2) {
                throw new IOException("targets: \"shape\" must be [K, d], got " + shape);
            }
            long k = shape.get(0).asLong();
            long d = shape.get(1).asLong();
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(node.get("float64le").asText());
            } catch (IllegalArgumentException e) {
                throw new IOException("targets: \"float64le\" is not base64: " + e.getMessage(), e);
            }
            if (k < 1 || d < 1 || bytes.length != k * d * Double.BYTES) {
                throw new IOException("targets: " + bytes.length + " bytes do not hold a " + k + "×" + d
                        + " float64 matrix (" + k * d * Double.BYTES + " bytes)");
            }
            double[] v = new double[(int) (k * d)];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(v);
            return Nd4j.create(v, new long[] {k, d}, DataType.DOUBLE);
        }
    }
}
