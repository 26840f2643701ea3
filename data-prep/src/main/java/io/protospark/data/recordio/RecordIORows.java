package io.protospark.data.recordio;

import io.protospark.data.image.ImageDecoder;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopConf;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.source.RowSource;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * Rows of a RecordIO training set, read on the executors with positioned reads of one shared stream per
 * executor JVM: example i is image key i + 1 (its id), labelled with its identity. Each record's magic is
 * checked (so a {@code train.idx} offset that does not point at a record fails naming the key) and its own
 * label must equal the identity of its range.
 */
public final class RecordIORows implements RowSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RecordIORows.class);

    private final String rec;
    private final long length;
    private final long[] offsets;
    private final boolean float64;
    private final ImageDecoder decoder;
    private final boolean skipCorrupt;
    private final HadoopConf conf;
    private transient volatile FSDataInputStream in;

    public RecordIORows(URI rec, long length, long[] offsets, boolean float64, ImageDecoder decoder,
                        boolean skipCorrupt, Configuration conf) {
        this.rec = new Path(rec).toString(); // decoded: new Path(String) must not see %20 for a space
        this.length = length;
        this.offsets = offsets;
        this.float64 = float64;
        this.decoder = decoder;
        this.skipCorrupt = skipCorrupt;
        this.conf = new HadoopConf(conf);
    }

    @Override
    public StructType schema() {
        return ShardSchema.SCHEMA;
    }

    @Override
    public long bytesPerRow() {
        return 3L * decoder.size() * decoder.size() + ShardSchema.ROW_OVERHEAD_BYTES;
    }

    /** The RecordIO key: image i is key i + 1. */
    @Override
    public long id(int index) {
        return index + 1L;
    }

    @Override
    public boolean maySkip() {
        return skipCorrupt;
    }

    private FSDataInputStream stream() throws IOException {
        FSDataInputStream s = in;
        if (s == null) {
            synchronized (this) {
                if (in == null) {
                    Path p = new Path(rec);
                    in = p.getFileSystem(conf.get()).open(p);
                }
                s = in;
            }
        }
        return s;
    }

    @Override
    public Row row(int index, int label) {
        long key = index + 1L;
        String where = rec + " key " + key + " (train.idx offset " + offsets[index] + ")";
        RecordIO.Payload p;
        try {
            p = RecordIO.parse(RecordIO.read(stream(), offsets[index], length, where), float64, where);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + where + ": " + e, e);
        }
        double own = p.firstLabel();
        if (own != label) {
            throw new DataFormatException(where + ": the record's own label " + own + " differs from identity "
                    + label + " of the header's range that holds it");
        }
        byte[] pixels;
        try {
            pixels = decoder.decode(p.image());
        } catch (IOException e) {
            if (skipCorrupt) {
                LOG.warn("skipping {}: {}", where, e.getMessage());
                return null;
            }
            throw new DataFormatException(where + ": cannot decode image: " + e.getMessage() + "; set "
                    + "prepare.corrupt-images=skip to leave such records out (they are listed in the manifest)");
        }
        return RowFactory.create(key, label, decoder.size(), decoder.size(), 3, pixels);
    }
}
