package io.protospark.data.shard;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport.ReadContext;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A range of one shard file's rows, read with parquet-hadoop directly (the Hadoop FileSystem API, no Spark SQL), in
 * the file's order. Each shard holds a contiguous, ascending range of ids ({@code prepare} writes it so), so the
 * rows come out sorted by id: the passes that must see the same minibatches in every run (evaluation, embedding)
 * read their examples this way instead of through a shuffle.
 *
 * <p>Only the named columns are decoded; a row is handed out as the values of those columns in the order named
 * ({@code long}, {@code int} or {@code byte[]}, after the shard schema's types).
 */
public final class ShardRows implements Iterator<Object[]>, Closeable {
    /** Rows {@code [from, to)} (0-based, in file order) of one shard file. */
    public record Range(URI file, long from, long to) implements Serializable {
        public Range {
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("bad row range [" + from + ", " + to + ") of " + file);
            }
        }
    }

    private final Range range;
    private final String[] columns;
    private final ParquetReader<Group> reader;
    private long row;
    private Group next;
    private boolean closed;

    private ShardRows(Range range, String[] columns, Configuration conf) throws IOException {
        this.range = range;
        this.columns = columns.clone();
        this.reader = ParquetReader.builder(new Projection(range.file(), columns), new Path(range.file()))
                .withConf(conf).build();
        advance();
    }

    /** Opens {@code range} for reading {@code columns}; close it when done (it closes itself at the end). */
    public static ShardRows open(Range range, Configuration conf, String... columns) {
        try {
            return new ShardRows(range, columns, conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shard " + range.file() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The ranges that read {@code split} in about {@code parts} pieces: whole files when there are at least that many,
     * else each file cut into equal row ranges, so a split of one shard still keeps {@code parts} tasks busy.
     */
    public static List<Range> plan(ShardSet shards, String split, int parts) {
        List<Manifest.ShardFile> files = shards.manifest().files(split);
        List<URI> uris = shards.files(split);
        int perFile = Math.max(1, (parts + files.size() - 1) / files.size());
        List<Range> out = new ArrayList<>();
        for (int f = 0; f < files.size(); f++) {
            long n = files.get(f).examples();
            int cuts = (int) Math.max(1, Math.min(perFile, n));
            for (int i = 0; i < cuts; i++) {
                out.add(new Range(uris.get(f), n * i / cuts, n * (i + 1) / cuts));
            }
        }
        return out;
    }

    @Override
    public boolean hasNext() {
        return next != null;
    }

    @Override
    public Object[] next() {
        if (next == null) {
            throw new NoSuchElementException();
        }
        Object[] values = new Object[columns.length];
        for (int i = 0; i < columns.length; i++) {
            values[i] = value(next, columns[i]);
        }
        advance();
        return values;
    }

    private void advance() {
        try {
            next = null;
            while (row < range.to()) {
                Group g = reader.read();
                if (g == null) {
                    throw new IllegalStateException("the shard " + range.file() + " ends after " + row
                            + " rows; its manifest says it holds at least " + range.to());
                }
                if (row++ >= range.from()) {
                    next = g;
                    return;
                }
            }
            close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shard " + range.file() + " at row " + row + ": "
                    + e.getMessage(), e);
        }
    }

    private static Object value(Group g, String column) {
        return switch (column) {
            case ShardSchema.ID -> g.getLong(column, 0);
            case ShardSchema.PIXELS, ShardSchema.PIXELS_A, ShardSchema.PIXELS_B -> bytes(g.getBinary(column, 0));
            default -> g.getInteger(column, 0);
        };
    }

    private static byte[] bytes(Binary b) {
        return b.getBytes();
    }

    /** Group records of only the named columns, typed and repeated as the file declares them. */
    private static final class Projection extends GroupReadSupport {
        private final URI file;
        private final String[] columns;

        Projection(URI file, String[] columns) {
            this.file = file;
            this.columns = columns;
        }

        @Override
        public ReadContext init(InitContext context) {
            MessageType schema = context.getFileSchema();
            List<Type> fields = new ArrayList<>();
            for (String c : columns) {
                if (!schema.containsField(c)) {
                    throw new IllegalArgumentException("the shard " + file + " has no column '" + c + "'; it has "
                            + schema.getFields().stream().map(Type::getName).toList());
                }
                fields.add(schema.getType(c));
            }
            return new ReadContext(new MessageType(schema.getName(), fields));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the shard " + range.file() + ": " + e.getMessage(), e);
        }
    }
}
