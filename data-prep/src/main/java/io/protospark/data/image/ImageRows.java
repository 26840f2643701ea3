package io.protospark.data.image;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopConf;
import io.protospark.data.shard.ShardSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * Rows of one split of an image tree, decoded on the executor: example {@code i} is file {@code paths[i]}
 * (relative to {@code root}), id {@code i}. A file that cannot be decoded fails the job naming the file, or
 * under policy {@code skip} is left out (and listed in the manifest by the driver).
 */
public final class ImageRows implements io.protospark.data.source.RowSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ImageRows.class);

    private final String root;
    private final String[] paths;
    private final ImageDecoder decoder;
    private final boolean skipCorrupt;
    private final HadoopConf conf;

    public ImageRows(URI root, String[] paths, ImageDecoder decoder, boolean skipCorrupt, Configuration conf) {
        this.root = new Path(root).toString(); // decoded: new Path(String) must not see %20 for a space
        this.paths = paths;
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

    @Override
    public boolean maySkip() {
        return skipCorrupt;
    }

    /** The file of example {@code index}. */
    public Path file(int index) {
        return new Path(new Path(root), paths[index]);
    }

    @Override
    public Row row(int index, int label) {
        Path file = file(index);
        byte[] encoded;
        try {
            FileSystem fs = file.getFileSystem(conf.get());
            try (InputStream in = fs.open(file)) {
                encoded = in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + file + ": " + e, e);
        }
        byte[] pixels;
        try {
            pixels = decoder.decode(encoded);
        } catch (IOException e) {
            if (skipCorrupt) {
                LOG.warn("skipping {} (id {}): {}", file, index, e.getMessage());
                return null;
            }
            throw new DataFormatException(file + ": cannot decode image (id " + index + "): " + e.getMessage()
                    + "; set prepare.corrupt-images=skip to leave such files out (they are listed in the manifest)");
        }
        return RowFactory.create((long) index, label, decoder.size(), decoder.size(), 3, pixels);
    }
}
