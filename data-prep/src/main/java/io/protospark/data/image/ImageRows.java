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
 *
 * <p>Two stores: decoded pixels ({@link ShardSchema#SCHEMA}, the decoder's {@code size x size} crop), or encoded
 * images ({@link ShardSchema#ENCODED_SCHEMA}): the file's own bytes, or, when {@code shorterSide > 0} and the
 * image's shorter side exceeds it, a JPEG of the image resized to that shorter side. Encoded files are decoded once
 * here all the same, so that a corrupt file is found by {@code prepare}, not by training.
 */
public final class ImageRows implements io.protospark.data.source.RowSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ImageRows.class);

    private final String root;
    private final String[] paths;
    private final ImageDecoder decoder;
    private final boolean skipCorrupt;
    private final HadoopConf conf;
    /** Encoded store: -1 = decoded pixels, 0 = the files' own bytes, N = shorter side resized to at most N. */
    private final int shorterSide;

    /** Rows of decoded pixels. */
    public ImageRows(URI root, String[] paths, ImageDecoder decoder, boolean skipCorrupt, Configuration conf) {
        this(root, paths, decoder, -1, skipCorrupt, conf);
    }

    /**
     * Rows of encoded images ({@code shorterSide >= 0}: 0 keeps every file's bytes, N re-encodes the images whose
     * shorter side exceeds N at shorter side N), or of decoded pixels ({@code shorterSide = -1}, {@code decoder}).
     */
    public ImageRows(URI root, String[] paths, ImageDecoder decoder, int shorterSide, boolean skipCorrupt,
                     Configuration conf) {
        this.root = new Path(root).toString(); // decoded: new Path(String) must not see %20 for a space
        this.paths = paths;
        this.decoder = decoder;
        this.shorterSide = shorterSide;
        this.skipCorrupt = skipCorrupt;
        this.conf = new HadoopConf(conf);
        if (shorterSide < 0 && decoder == null) {
            throw new IllegalArgumentException("decoded pixels need a decoder");
        }
    }

    private boolean encoded() {
        return shorterSide >= 0;
    }

    @Override
    public StructType schema() {
        return encoded() ? ShardSchema.ENCODED_SCHEMA : ShardSchema.SCHEMA;
    }

    /** Quality of the JPEG written when an encoded image is resized to {@code shorterSide} (ImageIO's scale, 0-1). */
    public static final float ENCODED_JPEG_QUALITY = 0.9f;

    /** Typical bytes of an encoded row: an ImageNet JPEG averages about 110 kB; at shorter side N, about N²·3/8. */
    static final long ENCODED_ORIGINAL_BYTES = 110_000;

    @Override
    public long bytesPerRow() {
        if (encoded()) {
            return (shorterSide == 0 ? ENCODED_ORIGINAL_BYTES : Math.min(ENCODED_ORIGINAL_BYTES,
                    (long) shorterSide * shorterSide * 4 / 3 * 3 / 8)) + ShardSchema.ROW_OVERHEAD_BYTES;
        }
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
            if (encoded()) {
                return encodedRow(index, label, encoded);
            }
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

    /** The encoded row: the file's bytes, or the JPEG of the image resized to {@link #shorterSide}. */
    private Row encodedRow(int index, int label, byte[] file) throws IOException {
        java.awt.image.BufferedImage img = ImageDecoder.decodeImage(file);
        int h = img.getHeight();
        int w = img.getWidth();
        if (shorterSide > 0 && Math.min(h, w) > shorterSide) {
            java.awt.image.BufferedImage small = ImageDecoder.shorterSide(img, shorterSide);
            return RowFactory.create((long) index, label, small.getHeight(), small.getWidth(), 3,
                    ImageDecoder.jpeg(small, ENCODED_JPEG_QUALITY));
        }
        return RowFactory.create((long) index, label, h, w, 3, file);
    }
}
