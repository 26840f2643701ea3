package io.protospark.data.recordio;

import io.protospark.data.io.DataFormatException;
import org.apache.hadoop.fs.FSDataInputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads MXNet / dmlc-core RecordIO records (dmlc-core {@code recordio.h}, MXNet {@code recordio.py}), little-endian:
 * each part is {@code u32 magic 0xCED7230A | u32 lrecord | data | zero pad to 4 bytes}, where the upper 3 bits of
 * {@code lrecord} are the part flag (0 whole, 1 first, 2 middle, 3 last) and the lower 29 its length. The writer
 * splits a record wherever a 4-byte-aligned word of the data equals the magic, dropping that word; the reader
 * puts it back between parts. The payload starts with MXNet's {@code IRHeader} ({@code 'IfQQ'}: u32 flag,
 * f32 label, u64 id, u64 id2), then {@code flag} float32 labels when {@code flag > 0}, then the image bytes.
 * Label arrays are returned as doubles so the float64 variant keeps its precision.
 */
public final class RecordIO {
    /** The part magic, as the little-endian u32 value. */
    public static final int MAGIC = 0xCED7230A;
    /** Size of the IRHeader struct. */
    public static final int HEADER_BYTES = 24;

    private RecordIO() {
    }

    /** A parsed payload: the header fields, the label array (empty when {@code flag == 0}) and the image bytes. */
    public record Payload(int flag, float label, long id, long id2, double[] labels, byte[] image) {
        /** {@code labels[0]} when there is a label array, else {@code label} (InsightFace's convention). */
        public double firstLabel() {
            return labels.length > 0 ? labels[0] : label;
        }
    }

    /**
     * The data of the record whose first part starts at {@code offset}, its parts joined with the magic
     * re-inserted.
     *
     * @param file   name for messages
     * @param length length of the file in bytes
     */
    public static byte[] read(FSDataInputStream in, long offset, long length, String file) throws IOException {
        ByteArrayOutputStream out = null;
        long pos = offset;
        byte[] head = new byte[8];
        ByteBuffer bb = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            if (pos + 8 > length) {
                throw new DataFormatException(file + ": byte offset " + pos + ": a record part header needs 8 bytes "
                        + "but the file ends at " + length);
            }
            in.readFully(pos, head, 0, 8);
            int magic = bb.getInt(0);
            if (magic != MAGIC) {
                throw new DataFormatException(file + ": byte offset " + pos + ": expected the RecordIO magic "
                        + "0xced7230a, found 0x" + Integer.toHexString(magic)
                        + (out == null ? " (the offset does not point at a record)" : " (inside a split record)"));
            }
            int lrecord = bb.getInt(4);
            int cflag = (lrecord >>> 29) & 7;
            int len = lrecord & ((1 << 29) - 1);
            if (pos + 8 + len > length) {
                throw new DataFormatException(file + ": byte offset " + pos + ": record part declares " + len
                        + " bytes, past the end of the file at " + length);
            }
            byte[] data = new byte[len];
            in.readFully(pos + 8, data, 0, len);
            long next = pos + 8 + ((len + 3L) & ~3L);
            if (out == null) {
                if (cflag == 0) {
                    return data;
                }
                if (cflag != 1) {
                    throw new DataFormatException(file + ": byte offset " + pos + ": a record starts with part flag "
                            + cflag + "; expected 0 (whole) or 1 (first part)");
                }
                out = new ByteArrayOutputStream(len * 2 + 8);
                out.write(data);
            } else {
                if (cflag != 2 && cflag != 3) {
                    throw new DataFormatException(file + ": byte offset " + pos + ": part flag " + cflag + " inside "
                            + "the split record that starts at " + offset + "; expected 2 (middle) or 3 (last)");
                }
                out.write(new byte[]{0x0A, 0x23, (byte) 0xD7, (byte) 0xCE}); // the magic, little-endian
                out.write(data);
                if (cflag == 3) {
                    return out.toByteArray();
                }
            }
            pos = next;
        }
    }

    /**
     * Parses an IRHeader payload; {@code float64} reads the label array as float64 ({@code 'IdQQ'}, written by some
     * InsightFace helper scripts) instead of float32.
     */
    public static Payload parse(byte[] data, boolean float64, String where) {
        if (data.length < HEADER_BYTES) {
            throw new DataFormatException(where + ": record of " + data.length + " bytes is shorter than the "
                    + HEADER_BYTES + "-byte IRHeader");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int flag = b.getInt(0);
        float label = b.getFloat(4);
        long id = b.getLong(8);
        long id2 = b.getLong(16);
        int width = float64 ? 8 : 4;
        if (flag < 0 || HEADER_BYTES + (long) flag * width > data.length) {
            throw new DataFormatException(where + ": IRHeader flag " + Integer.toUnsignedString(flag) + " announces "
                    + "more labels than the " + data.length + "-byte record holds");
        }
        double[] labels = new double[flag];
        for (int i = 0; i < flag; i++) {
            labels[i] = float64 ? b.getDouble(HEADER_BYTES + 8 * i) : b.getFloat(HEADER_BYTES + 4 * i);
        }
        int start = HEADER_BYTES + flag * width;
        byte[] image = java.util.Arrays.copyOfRange(data, start, data.length);
        return new Payload(flag, label, id, id2, labels, image);
    }
}
