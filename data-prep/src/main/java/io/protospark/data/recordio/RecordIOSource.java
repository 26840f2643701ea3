package io.protospark.data.recordio;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * An InsightFace RecordIO training set ({@code train.rec}, {@code train.idx}, {@code property}; the layout of
 * insightface {@code arcface_torch}'s {@code MXFaceDataset}) checked and listed on the driver.
 *
 * <p>Record 0 is the header: its label array {@code [L0, L1]} says images are keys 1 … L0−1 and identity records
 * keys L0 … L1−1; identity record {@code L0 + c} holds the image-key range {@code [start, end)} of identity c, which
 * becomes label c. The driver reads {@code property} ({@code num_classes,H,W}), {@code train.idx}
 * ({@code key\toffset}), the header and every identity record; it does not open the image records (the executors
 * do, and check each one's magic and own label). The header's label array is float32 ({@code mx.recordio.pack});
 * when it makes no sense as float32 but does as float64 (the {@code 'IdQQ'} variant of some helper scripts), the
 * float64 reading is used. Float32 ranges are refused beyond 2^24 images, where float32 stops being exact.
 *
 * @see RecordIO
 */
public final class RecordIOSource {
    private static final Logger LOG = LoggerFactory.getLogger(RecordIOSource.class);
    private static final long FLOAT32_EXACT = 1L << 24;

    /**
     * The listed data set.
     *
     * @param dir     the input directory, fully qualified
     * @param rec     {@code train.rec}
     * @param classes identities (from the header, equal to {@code property}'s)
     * @param height  image height from {@code property}
     * @param width   image width from {@code property}
     * @param offsets byte offset of image i (key i + 1) in {@code train.rec}
     * @param labels  identity of image i
     * @param float64 whether label arrays are float64
     * @param files   {@code train.idx} and {@code property}, to checksum
     */
    public record Listing(URI dir, URI rec, int classes, int height, int width, long[] offsets, int[] labels,
                          boolean float64, List<URI> files) {
    }

    private RecordIOSource() {
    }

    public static Listing read(URI input, Configuration conf) {
        Path root = HadoopPaths.of(input);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            Path recFile = new Path(root, "train.rec");
            Path idxFile = new Path(root, "train.idx");
            Path propFile = new Path(root, "property");
            for (Path p : List.of(recFile, idxFile, propFile)) {
                if (!fs.exists(p)) {
                    throw new DataFormatException("recordio input " + root + " lacks " + p.getName() + " (expected "
                            + "train.rec, train.idx and property)");
                }
            }
            // property: num_classes,H,W
            String prop = text(fs, propFile).trim();
            String[] f = prop.split("\\s*,\\s*");
            int classes;
            int height;
            int width;
            try {
                if (f.length != 3) {
                    throw new NumberFormatException();
                }
                classes = Integer.parseInt(f[0]);
                height = Integer.parseInt(f[1]);
                width = Integer.parseInt(f[2]);
            } catch (NumberFormatException e) {
                throw new DataFormatException(propFile + ": expected one line 'num_classes,H,W' (e.g. 85742,112,112), "
                        + "found '" + prop + "'");
            }
            if (classes < 1 || height < 1 || width < 1) {
                throw new DataFormatException(propFile + ": num_classes, H and W must be positive, found '" + prop
                        + "'");
            }
            long recLength = fs.getFileStatus(recFile).getLen();

            // train.idx: key \t offset
            TreeMap<Long, Long> idx = new TreeMap<>();
            String[] lines = text(fs, idxFile).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].trim();
                if (line.isEmpty()) {
                    continue;
                }
                String[] kv = line.split("\\s+");
                long key;
                long offset;
                try {
                    if (kv.length != 2) {
                        throw new NumberFormatException();
                    }
                    key = Long.parseLong(kv[0]);
                    offset = Long.parseLong(kv[1]);
                } catch (NumberFormatException e) {
                    throw new DataFormatException(idxFile + ": line " + (i + 1) + " is not 'key<TAB>offset': " + line);
                }
                if (offset < 0 || offset + 8 > recLength) {
                    throw new DataFormatException(idxFile + ": line " + (i + 1) + ": offset " + offset + " of key "
                            + key + " lies outside " + recFile.getName() + " (" + recLength + " bytes)");
                }
                if (idx.put(key, offset) != null) {
                    throw new DataFormatException(idxFile + ": line " + (i + 1) + " repeats key " + key);
                }
            }
            if (!idx.containsKey(0L)) {
                throw new DataFormatException(idxFile + ": has no key 0, the header record");
            }

            try (FSDataInputStream in = fs.open(recFile)) {
                String rec = recFile.toString();
                byte[] headerData = RecordIO.read(in, idx.get(0L), recLength, rec + " (header record, key 0)");
                boolean float64 = false;
                long[] range = headerRange(RecordIO.parse(headerData, false, rec + " key 0"));
                if (range == null || range[1] - range[0] != classes) {
                    long[] wide;
                    try {
                        wide = headerRange(RecordIO.parse(headerData, true, rec + " key 0"));
                    } catch (DataFormatException tooShortForFloat64) {
                        wide = null;
                    }
                    if (wide != null && wide[1] - wide[0] == classes) {
                        LOG.warn("{}: the header's label array is float64 ('IdQQ'), not MXNet's float32; reading "
                                + "every label array as float64", rec);
                        range = wide;
                        float64 = true;
                    }
                }
                if (range == null) {
                    throw new DataFormatException(rec + ": header record (key 0) has no [L0, L1) label array of "
                            + "whole numbers 1 <= L0 <= L1; this reader needs InsightFace's header-style files");
                }
                long l0 = range[0];
                long l1 = range[1];
                if (l1 - l0 != classes) {
                    throw new DataFormatException(propFile + " says " + classes + " classes but the header record of "
                            + rec + " lists identity records " + l0 + " .. " + (l1 - 1) + ", that is " + (l1 - l0)
                            + " identities");
                }
                if (!float64 && l1 > FLOAT32_EXACT) {
                    throw new DataFormatException(rec + ": header ranges reach " + l1 + " > 2^24, where float32 "
                            + "labels are no longer exact; this file cannot be read reliably");
                }
                if (idx.lastKey() != l1 - 1) {
                    throw new DataFormatException(idxFile + ": its largest key is " + idx.lastKey() + " but the "
                            + "header record says the last identity record is key " + (l1 - 1));
                }
                int images = (int) (l0 - 1);
                long[] offsets = new long[images];
                int[] labels = new int[images];
                Arrays.fill(labels, -1);
                for (int i = 0; i < images; i++) {
                    Long off = idx.get((long) i + 1);
                    if (off == null) {
                        throw new DataFormatException(idxFile + ": lacks image key " + (i + 1) + " (images are keys 1 "
                                + ".. " + (l0 - 1) + ")");
                    }
                    offsets[i] = off;
                }
                for (long k = l0; k < l1; k++) {
                    Long off = idx.get(k);
                    if (off == null) {
                        throw new DataFormatException(idxFile + ": lacks identity record key " + k);
                    }
                    RecordIO.Payload p = RecordIO.parse(RecordIO.read(in, off, recLength, rec + " (key " + k + ")"),
                            float64, rec + " key " + k);
                    if (p.labels().length < 2) {
                        throw new DataFormatException(rec + ": identity record key " + k + " has no [start, end) "
                                + "label array");
                    }
                    long start = (long) p.labels()[0];
                    long end = (long) p.labels()[1];
                    if (start < 1 || end > l0 || start >= end || start != p.labels()[0] || end != p.labels()[1]) {
                        throw new DataFormatException(rec + ": identity record key " + k + " has image range ["
                                + p.labels()[0] + ", " + p.labels()[1] + "), not within the image keys [1, " + l0
                                + ")");
                    }
                    int identity = (int) (k - l0);
                    for (long key = start; key < end; key++) {
                        if (labels[(int) key - 1] >= 0) {
                            throw new DataFormatException(rec + ": image key " + key + " lies in the ranges of "
                                    + "identities " + labels[(int) key - 1] + " and " + identity);
                        }
                        labels[(int) key - 1] = identity;
                    }
                }
                for (int i = 0; i < images; i++) {
                    if (labels[i] < 0) {
                        throw new DataFormatException(rec + ": image key " + (i + 1) + " belongs to no identity range");
                    }
                }
                LOG.info("{}: {} images of {} identities, {}x{}", rec, images, classes, height, width);
                return new Listing(root.toUri(), recFile.toUri(), classes, height, width, offsets, labels, float64,
                        List.of(idxFile.toUri(), propFile.toUri()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recordio input " + root + ": " + e, e);
        }
    }

    /** {@code [L0, L1]} of a header payload, or {@code null} when they are not whole numbers 1 <= L0 <= L1. */
    private static long[] headerRange(RecordIO.Payload p) {
        if (p.flag() < 2) {
            return null;
        }
        double l0 = p.labels()[0];
        double l1 = p.labels()[1];
        if (!(l0 >= 1 && l1 >= l0) || l0 != Math.rint(l0) || l1 != Math.rint(l1)) {
            return null;
        }
        return new long[]{(long) l0, (long) l1};
    }

    private static String text(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            throw new DataFormatException("file not found: " + p);
        }
    }
}
