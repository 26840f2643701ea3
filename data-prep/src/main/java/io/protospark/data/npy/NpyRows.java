package io.protospark.data.npy;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopConf;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.source.RowSource;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * Rows of uint8 images stored back to back in one file, read on the executors: a N×H×W×C {@code .npy} array
 * (checked by {@link NpySource}, {@link Layout#HWC}) or STL-10's {@code *_X.bin} ({@link Layout#CWH}). Each task
 * streams its contiguous range of images through its own buffered stream (seeking only when the selection skips
 * images), so the file is never held in memory. Image {@code i} has id {@code i}; its pixels are written in the
 * shards' CHW order.
 */
public final class NpyRows implements RowSource {
    private static final long serialVersionUID = 1L;
    /** Read-ahead of each task's stream. */
    private static final int BUFFER = 1 << 20;

    /** The order of one image's bytes in the file, slowest axis first. */
    public enum Layout {
        /** NumPy C order of (H, W, C): channels fastest. */
        HWC,
        /** MATLAB / Fortran order of (H, W, C), as STL-10 and SVHN store images: rows fastest, then columns. */
        CWH
    }

    private final String file;
    private final Layout layout;
    private final long dataOffset;
    private final int height;
    private final int width;
    private final int channels;
    private final HadoopConf conf;
    private transient ThreadLocal<Cursor> cursors;

    public NpyRows(URI file, long dataOffset, int height, int width, int channels,
                   org.apache.hadoop.conf.Configuration conf) {
        this(file, Layout.HWC, dataOffset, height, width, channels, conf);
    }

    public NpyRows(URI file, Layout layout, long dataOffset, int height, int width, int channels,
                   org.apache.hadoop.conf.Configuration conf) {
        this.file = new Path(file).toString(); // decoded: new Path(String) must not see %20 for a space
        this.layout = layout;
        this.dataOffset = dataOffset;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.conf = new HadoopConf(conf);
        this.cursors = new ThreadLocal<>();
    }

    @Override
    public StructType schema() {
        return ShardSchema.SCHEMA;
    }

    @Override
    public long bytesPerRow() {
        return imageBytes() + ShardSchema.ROW_OVERHEAD_BYTES;
    }

    private int imageBytes() {
        return height * width * channels;
    }

    @Override
    public Row row(int index, int label) {
        byte[] stored;
        try {
            stored = cursor().read(index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + index + " of " + file + ": " + e, e);
        }
        byte[] chw;
        if (layout == Layout.HWC) {
            chw = toChw(stored, height, width, channels);
        } else {
            chw = new byte[stored.length];
            cwhToChw(stored, 0, height, width, channels, chw, 0);
        }
        return RowFactory.create((long) index, label, height, width, channels, chw);
    }

    /**
     * Column-major (H, W, C) — MATLAB's order, rows fastest — to CHW: byte {@code (c * W + x) * H + y} of
     * {@code cwh} (from {@code from}) is pixel (c, y, x), written to byte {@code (c * H + y) * W + x} of
     * {@code chw} (from {@code to}).
     */
    public static void cwhToChw(byte[] cwh, int from, int height, int width, int channels, byte[] chw, int to) {
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            int in = from + c * plane;
            int out = to + c * plane;
            for (int x = 0; x < width; x++) {
                for (int y = 0; y < height; y++) {
                    chw[out + y * width + x] = cwh[in + x * height + y];
                }
            }
        }
    }

    /** HWC (NumPy's last axis fastest) to CHW: pixel (c, y, x) goes to byte {@code (c * H + y) * W + x}. */
    public static byte[] toChw(byte[] hwc, int height, int width, int channels) {
        if (channels == 1) {
            return hwc.clone();
        }
        int plane = height * width;
        byte[] chw = new byte[hwc.length];
        for (int p = 0, i = 0; p < plane; p++) {
            for (int c = 0; c < channels; c++) {
                chw[c * plane + p] = hwc[i++];
            }
        }
        return chw;
    }

    /**
     * This thread's stream, opened on first use and closed when the Spark task that opened it completes (a
     * later task on the same thread opens its own).
     */
    private Cursor cursor() throws IOException {
        TaskContext task = TaskContext.get();
        long attempt = task == null ? -1 : task.taskAttemptId();
        Cursor c = cursors.get();
        if (c == null || c.closed || c.attempt != attempt) {
            Path p = new Path(file);
            Cursor opened = new Cursor(p.getFileSystem(conf.get()).open(p, BUFFER), attempt);
            cursors.set(opened);
            if (task != null) {
                task.addTaskCompletionListener(new TaskCompletionListener() {
                    @Override
                    public void onTaskCompletion(TaskContext context) {
                        opened.close();
                    }
                });
            }
            c = opened;
        }
        return c;
    }

    /** A stream and the index of the image it is positioned at. */
    private final class Cursor {
        private final FSDataInputStream in;
        private final byte[] buffer = new byte[imageBytes()];
        private final long attempt;
        private volatile boolean closed;
        private long next = -1;

        Cursor(FSDataInputStream in, long attempt) {
            this.in = in;
            this.attempt = attempt;
        }

        byte[] read(int index) throws IOException {
            if (index != next) {
                in.seek(dataOffset + (long) index * buffer.length);
            }
            try {
                in.readFully(buffer);
            } catch (EOFException e) {
                next = -1;
                throw new DataFormatException(file + ": file ends inside image " + index + " (byte offset "
                        + (dataOffset + (long) index * buffer.length) + "); it was complete when prepare checked it"
                        + " on the driver, so it changed since");
            }
            next = index + 1L;
            return buffer;
        }

        void close() {
            closed = true;
            try {
                in.close();
            } catch (IOException ignored) {
                // read-only stream; nothing to lose
            }
        }
    }

    private void readObject(ObjectInputStream input) throws IOException, ClassNotFoundException {
        input.defaultReadObject();
        cursors = new ThreadLocal<>();
    }
}
