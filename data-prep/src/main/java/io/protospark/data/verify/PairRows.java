package io.protospark.data.verify;

import io.protospark.data.image.ImageDecoder;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopConf;
import io.protospark.data.shard.ShardSchema;
import io.protospark.data.source.RowSource;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Rows of verification pairs ({@link ShardSchema#PAIR_SCHEMA}), decoded on the executors: pair i is either the
 * encoded images {@code 2i, 2i+1} held in memory (InsightFace {@code .bin}) or two files under {@code root}
 * (LFW {@code pairs.txt}). The label passed in is 1 for "same", 0 for "different". A pair whose image cannot be
 * decoded fails the job: verification protocols need every pair.
 */
public final class PairRows implements RowSource {
    private static final long serialVersionUID = 1L;

    private final byte[][] encoded;
    private final String root;
    private final String[] files;
    private final int[] folds;
    private final ImageDecoder decoder;
    private final HadoopConf conf;
    private final String origin;

    private PairRows(byte[][] encoded, String root, String[] files, int[] folds, ImageDecoder decoder,
                     Configuration conf, String origin) {
        this.encoded = encoded;
        this.root = root;
        this.files = files;
        this.folds = folds;
        this.decoder = decoder;
        this.conf = conf == null ? null : new HadoopConf(conf);
        this.origin = origin;
    }

    /** Pairs of in-memory encoded images: pair i is {@code encoded[2i]}, {@code encoded[2i+1]}. */
    public static PairRows inMemory(byte[][] encoded, int[] folds, ImageDecoder decoder, String origin) {
        return new PairRows(encoded, null, null, folds, decoder, null, origin);
    }

    /** Pairs of files relative to {@code root}: pair i is {@code files[2i]}, {@code files[2i+1]}. */
    public static PairRows files(String root, String[] files, int[] folds, ImageDecoder decoder, Configuration conf) {
        return new PairRows(null, root, files, folds, decoder, conf, root);
    }

    @Override
    public StructType schema() {
        return ShardSchema.PAIR_SCHEMA;
    }

    @Override
    public long bytesPerRow() {
        return 6L * decoder.size() * decoder.size() + ShardSchema.ROW_OVERHEAD_BYTES + 4;
    }

    @Override
    public Row row(int index, int label) {
        return RowFactory.create((long) index, label, folds[index], decoder.size(), decoder.size(), 3,
                image(2 * index, index), image(2 * index + 1, index));
    }

    private byte[] image(int k, int pair) {
        String where;
        byte[] bytes;
        if (encoded != null) {
            where = origin + ": image " + k + " (pair " + pair + ")";
            bytes = encoded[k];
        } else {
            Path file = new Path(new Path(root), files[k]);
            where = file + " (pair " + pair + ")";
            try (InputStream in = file.getFileSystem(conf.get()).open(file)) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + where + ": " + e, e);
            }
        }
        try {
            return decoder.decode(bytes);
        } catch (IOException e) {
            throw new DataFormatException(where + ": cannot decode image: " + e.getMessage());
        }
    }
}
