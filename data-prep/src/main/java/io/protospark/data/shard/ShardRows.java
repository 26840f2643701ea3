package io.protospark.data.shard;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;

/**
 * A range of one shard file's rows, read with parquet-hadoop directly (the Hadoop FileSystem API, no Spark SQL), in
 * the file's order. Each shard holds a contiguous, ascending range of ids ({@code prepare} writes it so), so the
 * rows come out sorted by id: the passes that must see the same minibatches in every run (evaluation, embedding)
 * read their examples this way instead of through a shuffle, and so does training's read of its splits.
 *
 * <p>Only the named columns are decoded, and only the row groups that overlap the range are read (the footer says
 * where each one starts); rows of a row group before the range's first row are decoded and dropped. A row is handed
 * out as the values of those columns in the order named ({@code long}, {@code int} or {@code byte[]}, after the
 * shard schema's types).
 *
 * <p>{@link #plan} cuts a split into ranges: whole files when there are enough of them, else each file at row-group
 * boundaries ({@code prepare} writes row groups of {@code protospark.prepare.row-group-mb}), and only when a file has
 * fewer row groups than the pieces asked of it, inside row groups.
 */
public final class ShardRows implements Iterator<Object[]>, Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardRows.class);

    /** Rows {@code [from, to)} (0-based, in file order) of one shard file. */
    public record Range(URI file, long from, long to) implements Serializable {
        public Range {
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("bad row range [" + from + ", " + to + ") of " + file);
            }
        }

        /** Rows in the range. */
        public long rows() {
            return to - from;
        }
    }

    private final Range range;
    private final String[] columns;
    private final ParquetFileReader reader;
    private final MessageType projection;
    private final MessageColumnIO columnIO;
    /** The row group read next. */
    private int group;
    /** The current row group's records, and how many of them are left. */
    private RecordReader<Group> records;
    private long leftInGroup;
    /** The file row of the record read next. */
    private long row;
    private Group next;
    private boolean closed;

    private ShardRows(Range range, String[] columns, Configuration conf) throws IOException {
        this.range = range;
        this.columns = columns.clone();
        Path path = new Path(range.file());
        this.reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf),
                HadoopReadOptions.builder(conf, path).build());
        try {
            MessageType schema = reader.getFileMetaData().getSchema();
            this.projection = projection(range.file(), schema, this.columns);
            reader.setRequestedSchema(projection);
            this.columnIO = new ColumnIOFactory().getColumnIO(projection, schema);
            List<BlockMetaData> groups = reader.getRowGroups();
            long rows = 0;
            group = groups.size();
            for (int i = 0; i < groups.size(); i++) {
                long n = groups.get(i).getRowCount();
                if (group == groups.size() && rows + n > range.from()) {
                    group = i;
                    row = rows;
                }
                rows += n;
            }
            if (rows < range.to()) {
                throw new IllegalStateException("the shard " + range.file() + " ends after " + rows
                        + " rows; its manifest says it holds at least " + range.to());
            }
            advance();
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
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
     * The ranges that read all of {@code split} in at least {@code parts} pieces (when it has that many rows): the
     * plan of {@link #plan(ShardSet, String, int, long, Configuration)} without a limit.
     */
    public static List<Range> plan(ShardSet shards, String split, int parts, Configuration conf) {
        return plan(shards, split, parts, 0, conf);
    }

    /**
     * The ranges that read the first {@code limit} rows of {@code split} (0 = all of them; the files in manifest
     * order, which is id order) in at least {@code parts} pieces when there are that many rows:
     * <ul>
     *   <li>whole files when there are at least {@code parts} of them (no footer is read);</li>
     *   <li>else each file in {@code ceil(parts / files)} pieces of about equal rows: at row-group boundaries when the
     *       file has at least that many row groups (each piece reads whole row groups and decodes no row it drops),
     *       else row ranges inside its row groups, each row group getting pieces in proportion to its rows (each
     *       piece reads one row group, decoding it from its start).</li>
     * </ul>
     * The plan depends only on the manifest and the files' footers, so it is the same in every run.
     */
    public static List<Range> plan(ShardSet shards, String split, int parts, long limit, Configuration conf) {
        List<Manifest.ShardFile> files = shards.manifest().files(split);
        List<URI> uris = shards.files(split);
        List<URI> used = new ArrayList<>();
        List<Long> rows = new ArrayList<>();
        long left = limit > 0 ? limit : Long.MAX_VALUE;
        for (int f = 0; f < files.size() && left > 0; f++) {
            long n = Math.min(files.get(f).examples(), left);
            if (n > 0) {
                used.add(uris.get(f));
                rows.add(n);
                left -= n;
            }
        }
        List<Range> out = new ArrayList<>();
        if (used.isEmpty()) {
            return out;
        }
        int perFile = (int) Math.max(1, (Math.max(1, parts) + (long) used.size() - 1) / used.size());
        int inside = 0;
        int cutGroups = 0;
        double suggestMib = Double.MAX_VALUE;
        for (int f = 0; f < used.size(); f++) {
            long n = rows.get(f);
            int pieces = (int) Math.min(perFile, n);
            if (pieces == 1) {
                out.add(new Range(used.get(f), 0, n));
                continue;
            }
            RowGroups groups = RowGroups.of(used.get(f), conf);
            long[] cuts = cuts(groups.ends(), n, pieces);
            Set<Integer> cut = new TreeSet<>();
            for (int i = 0; i < pieces; i++) {
                out.add(new Range(used.get(f), cuts[i], cuts[i + 1]));
                int from = groups.boundary(cuts[i], n);
                int to = groups.boundary(cuts[i + 1], n);
                if (from < 0 || to < 0) {
                    inside++;
                    cut.add(-Math.min(from, to) - 1);
                }
            }
            if (!cut.isEmpty()) {
                cutGroups += cut.size();
                suggestMib = Math.min(suggestMib, groups.bytes(n) / (double) pieces / (1 << 20));
            }
        }
        if (inside > 0) {
            LOG.info("split '{}' of {}: {} examples in {} shard(s) read as {} row ranges, {} of them cut inside {} "
                            + "row group(s) (a shard had fewer row groups than the ranges asked of it); each of those "
                            + "reads its whole row group and decodes it up to its first row (prepare the data with "
                            + "protospark.prepare.row-group-mb = {} or less to cut between row groups only)", split,
                    shards.root(), rows.stream().mapToLong(Long::longValue).sum(), used.size(), out.size(), inside,
                    cutGroups, new BigDecimal(suggestMib).round(new MathContext(2, RoundingMode.DOWN))
                            .stripTrailingZeros().toPlainString());
        }
        return out;
    }

    /**
     * The {@code pieces + 1} boundaries {@code 0 = c[0] < c[1] < ... < c[pieces] = n} that cut the first {@code n}
     * rows of a file whose row groups end at the rows {@code groupEnds} (cumulative, ascending) into pieces of about
     * {@code n / pieces} rows. With at least {@code pieces} row groups every boundary is a row-group boundary (the
     * nearest one to its equal share); with fewer, every row-group boundary is a boundary and each row group is cut
     * into equal row ranges, the largest-remainder share of {@code pieces} in proportion to its rows (at least one).
     *
     * @throws IllegalArgumentException unless {@code 1 <= pieces <= n}
     */
    static long[] cuts(long[] groupEnds, long n, int pieces) {
        if (pieces < 1 || pieces > n) {
            throw new IllegalArgumentException("cannot cut " + n + " rows into " + pieces + " pieces");
        }
        long[] b = new long[groupEnds.length + 2];
        int g = 0;
        for (long e : groupEnds) {
            if (e > b[g] && e < n) {
                b[++g] = e;
            }
        }
        b[++g] = n;
        long[] out = new long[pieces + 1];
        out[pieces] = n;
        if (g >= pieces) {
            int k = 0;
            for (int i = 1; i < pieces; i++) {
                long target = Math.round((double) n * i / pieces);
                int lo = k + 1;
                int hi = g - (pieces - i);
                int j = Arrays.binarySearch(b, lo, hi + 1, target);
                if (j < 0) {
                    j = Math.min(-j - 1, hi);
                    if (j > lo && target - b[j - 1] <= b[j] - target) {
                        j--;
                    }
                }
                out[i] = b[j];
                k = j;
            }
            return out;
        }
        int[] share = shares(b, g, n, pieces);
        int i = 0;
        for (int j = 0; j < g; j++) {
            long size = b[j + 1] - b[j];
            for (int p = 0; p < share[j]; p++) {
                out[i++] = b[j] + size * p / share[j];
            }
        }
        return out;
    }

    /** Pieces per row group: at least 1 and at most its rows, {@code pieces} in all, each as near its row share. */
    private static int[] shares(long[] b, int g, long n, int pieces) {
        int[] share = new int[g];
        double[] ideal = new double[g];
        int sum = 0;
        for (int j = 0; j < g; j++) {
            long size = b[j + 1] - b[j];
            ideal[j] = (double) pieces * size / n;
            share[j] = (int) Math.max(1, Math.min(size, Math.floor(ideal[j])));
            sum += share[j];
        }
        while (sum != pieces) {
            int best = -1;
            for (int j = 0; j < g; j++) {
                long size = b[j + 1] - b[j];
                boolean can = sum < pieces ? share[j] < size : share[j] > 1;
                if (can && (best < 0 || (sum < pieces ? ideal[j] - share[j] > ideal[best] - share[best]
                        : ideal[j] - share[j] < ideal[best] - share[best]))) {
                    best = j;
                }
            }
            share[best] += sum < pieces ? 1 : -1;
            sum += sum < pieces ? 1 : -1;
        }
        return share;
    }

    /** The row groups of a shard file, from its footer: where each ends (cumulative rows) and its bytes. */
    record RowGroups(URI file, long[] ends, long[] bytes) {
        static RowGroups of(URI file, Configuration conf) {
            Path path = new Path(file);
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
                List<BlockMetaData> blocks = reader.getRowGroups();
                long[] ends = new long[blocks.size()];
                long[] bytes = new long[blocks.size()];
                long rows = 0;
                for (int i = 0; i < blocks.size(); i++) {
                    rows += blocks.get(i).getRowCount();
                    ends[i] = rows;
                    bytes[i] = blocks.get(i).getTotalByteSize();
                }
                return new RowGroups(file, ends, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the footer of the shard " + file + ": " + e.getMessage(),
                        e);
            }
        }

        /** Row groups holding any of the first {@code n} rows. */
        int within(long n) {
            int k = 0;
            while (k < ends.length && (k == 0 || ends[k - 1] < n)) {
                k++;
            }
            return k;
        }

        /**
         * For a row {@code r} of the first {@code n}: the index of the row-group boundary it lies on (0 = the file's
         * start, {@code n} counts as one), else {@code -(g + 1)} for the row group g it lies inside.
         */
        int boundary(long r, long n) {
            if (r == 0) {
                return 0;
            }
            if (r == n) {
                return within(n);
            }
            int k = Arrays.binarySearch(ends, r);
            return k >= 0 ? k + 1 : k;
        }

        /** Uncompressed bytes of the row groups holding any of the first {@code n} rows. */
        long bytes(long n) {
            long sum = 0;
            for (int k = 0; k < within(n); k++) {
                sum += bytes[k];
            }
            return sum;
        }
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
                if (leftInGroup == 0) {
                    PageReadStore pages = reader.readRowGroup(group++);
                    records = columnIO.getRecordReader(pages, new GroupRecordConverter(projection));
                    leftInGroup = pages.getRowCount();
                }
                Group g = records.read();
                leftInGroup--;
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
            case ShardSchema.PIXELS, ShardSchema.PIXELS_A, ShardSchema.PIXELS_B, ShardSchema.ENCODED ->
                    bytes(g.getBinary(column, 0));
            default -> g.getInteger(column, 0);
        };
    }

    private static byte[] bytes(Binary b) {
        return b.getBytes();
    }

    /** The file's schema cut to the named columns, typed and repeated as the file declares them. */
    private static MessageType projection(URI file, MessageType schema, String[] columns) {
        List<Type> fields = new ArrayList<>();
        for (String c : columns) {
            if (!schema.containsField(c)) {
                throw new IllegalArgumentException("the shard " + file + " has no column '" + c + "'; it has "
                        + schema.getFields().stream().map(Type::getName).toList());
            }
            fields.add(schema.getType(c));
        }
        return new MessageType(schema.getName(), fields);
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
