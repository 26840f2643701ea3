package io.protospark.data;

import io.protospark.config.SettingsException;
import io.protospark.data.cifar.CifarReader;
import io.protospark.data.idx.IdxData;
import io.protospark.data.idx.IdxReader;
import io.protospark.data.idx.IdxSource;
import io.protospark.data.image.ImageDecoder;
import io.protospark.data.image.ImageFolderSource;
import io.protospark.data.image.ImageRows;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.data.npy.NpyRows;
import io.protospark.data.npy.NpySource;
import io.protospark.data.recordio.RecordIORows;
import io.protospark.data.recordio.RecordIOSource;
import io.protospark.data.shard.Manifest;
import io.protospark.data.source.ArrayRows;
import io.protospark.data.source.ImageArrays;
import io.protospark.data.source.RowSource;
import io.protospark.data.stl.Stl10Source;
import io.protospark.data.svhn.SvhnReader;
import io.protospark.data.transform.Transforms;
import io.protospark.data.verify.VerificationSets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The input formats of {@code prepare} as the driver sees them: each format's reader produces a {@link Loaded}
 * source (labels on the driver, a {@link RowSource} per split for the executors). Every header, size and label
 * check runs here, before any Spark work.
 */
final class Sources {
    private Sources() {
    }

    /**
     * A source as the driver knows it before writing: per source split a row maker and the labels.
     *
     * @param dir         the input directory, fully qualified
     * @param classes     number of source classes
     * @param classNames  their names
     * @param coarseNames names of the coarse labels (CIFAR-100), or {@code null}
     * @param image       shape of every image
     * @param rows        per source split, its row maker
     * @param labels      per source split, the label of every example
     * @param files       the input files to checksum into the manifest
     * @param listings    manifest source entries computed by the reader (listing hashes of image trees)
     * @param schema      {@link Manifest#PAIRS} for verification pairs, {@code null} for labelled examples
     */
    record Loaded(URI dir, int classes, List<String> classNames, List<String> coarseNames, Manifest.Image image,
                  Map<String, RowSource> rows, Map<String, int[]> labels, List<URI> files,
                  List<Manifest.SourceFile> listings, String schema) {
        Loaded(URI dir, int classes, List<String> classNames, List<String> coarseNames, Manifest.Image image,
               Map<String, RowSource> rows, Map<String, int[]> labels, List<URI> files,
               List<Manifest.SourceFile> listings) {
            this(dir, classes, classNames, coarseNames, image, rows, labels, files, listings, null);
        }
    }

    /** Source split name of the CIFAR-100 test examples that form CIFAR+N's unknown classes. */
    private static final String CIFAR_PLUS_SOURCE = "cifar100-test";

    /**
     * CIFAR+10 / CIFAR+50 (ARPL protocol): the test examples of the split's 10 or 50 CIFAR-100 classes become split
     * {@code test-unknown} (label -1, id = index in CIFAR-100's test.bin, no coarse label column).
     */
    static Loaded addCifarPlusUnknowns(PrepareSettings settings, Configuration conf, Loaded source,
                                               Transforms.Plan plan) {
        CifarReader.CifarData c100 = CifarReader.read(settings.openSetUnknownInput(), CifarReader.Variant.CIFAR100,
                conf);
        ImageArrays test = c100.splits().get(Manifest.TEST);
        List<Integer> unknown = Transforms.cifarPlusUnknown(settings.openSet());
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < test.count(); i++) {
            if (unknown.contains(test.label(i))) {
                index.add(i);
            }
        }
        int[] minus = new int[index.size()];
        Arrays.fill(minus, Manifest.UNKNOWN_LABEL);
        plan.splits().put(Manifest.TEST_UNKNOWN, new Transforms.Selection(CIFAR_PLUS_SOURCE,
                index.stream().mapToInt(Integer::intValue).toArray(), minus));
        Map<String, RowSource> rows = new LinkedHashMap<>(source.rows());
        rows.put(CIFAR_PLUS_SOURCE, new ArrayRows(test.withoutCoarseLabels()));
        List<URI> files = new ArrayList<>(source.files());
        for (URI f : c100.files()) {
            if (f.getPath().endsWith("test.bin") || f.getPath().endsWith("fine_label_names.txt")) {
                files.add(f);
            }
        }
        return new Loaded(source.dir(), source.classes(), source.classNames(), source.coarseNames(), source.image(),
                rows, source.labels(), files, source.listings(), source.schema());
    }

    /** Reads (in-memory formats) or lists (file formats) the source; every check runs before Spark work. */
    static Loaded load(PrepareSettings settings, Configuration conf) {
        switch (settings.format()) {
            case "idx" -> {
                return loadIdx(settings, conf);
            }
            case "cifar10", "cifar100" -> {
                CifarReader.CifarData data = CifarReader.read(settings.input(),
                        CifarReader.Variant.of(settings.format()), conf);
                Map<String, RowSource> rows = new LinkedHashMap<>();
                Map<String, int[]> labels = new LinkedHashMap<>();
                data.splits().forEach((name, arrays) -> {
                    rows.put(name, new ArrayRows(arrays));
                    labels.put(name, arrays.labels());
                });
                return new Loaded(data.dir(), data.classNames().size(), data.classNames(), data.coarseClassNames(),
                        new Manifest.Image(CifarReader.SIDE, CifarReader.SIDE, CifarReader.CHANNELS), rows, labels,
                        data.files(), List.of());
            }
            case "svhn" -> {
                SvhnReader.SvhnData data = SvhnReader.read(settings.input(), conf);
                Map<String, RowSource> rows = new LinkedHashMap<>();
                Map<String, int[]> labels = new LinkedHashMap<>();
                data.splits().forEach((name, arrays) -> {
                    rows.put(name, new ArrayRows(arrays));
                    labels.put(name, arrays.labels());
                });
                return new Loaded(data.dir(), SvhnReader.CLASS_NAMES.size(), SvhnReader.CLASS_NAMES, null,
                        new Manifest.Image(SvhnReader.SIDE, SvhnReader.SIDE, SvhnReader.CHANNELS), rows, labels,
                        data.files(), List.of());
            }
            case "stl10" -> {
                Stl10Source.Listing stl = Stl10Source.read(settings.input(), conf);
                Map<String, RowSource> rows = new LinkedHashMap<>();
                stl.images().forEach((name, file) -> rows.put(name, new NpyRows(file, NpyRows.Layout.CWH, 0,
                        Stl10Source.SIDE, Stl10Source.SIDE, Stl10Source.CHANNELS, conf)));
                return new Loaded(stl.dir(), stl.classNames().size(), stl.classNames(), null,
                        new Manifest.Image(Stl10Source.SIDE, Stl10Source.SIDE, Stl10Source.CHANNELS), rows,
                        stl.labels(), stl.files(), List.of());
            }
            case "imagefolder", "imagenet", "tiny-imagenet" -> {
                ImageFolderSource.Listing listing = switch (settings.format()) {
                    case "imagenet" -> ImageFolderSource.imageNet(settings.input(), settings.valGroundTruth(),
                            settings.synsets(), conf);
                    case "tiny-imagenet" -> ImageFolderSource.tinyImageNet(settings.input(), conf);
                    default -> ImageFolderSource.imageFolder(settings.input(), conf);
                };
                int size = settings.imageSize() == 0 && settings.format().equals("tiny-imagenet")
                        ? PrepareSettings.TINY_IMAGENET_SIZE : settings.imageSize();
                // encoded: no decoder crop; image-size 0 keeps the files' bytes, N resizes the shorter side to N
                ImageDecoder decoder = settings.encoded() ? null
                        : new ImageDecoder(size, ImageDecoder.Resize.of(settings.resize()));
                int shorterSide = settings.encoded() ? size : -1;
                Map<String, RowSource> rows = new LinkedHashMap<>();
                Map<String, int[]> labels = new LinkedHashMap<>();
                listing.splits().forEach((name, files) -> {
                    rows.put(name, new ImageRows(files.root(), files.paths(), decoder, shorterSide,
                            settings.corruptImages().equals("skip"), conf));
                    labels.put(name, files.labels());
                });
                return new Loaded(listing.dir(), listing.classNames().size(), listing.classNames(), null,
                        new Manifest.Image(size, size, 3), rows, labels,
                        listing.metadata(), listing.listings());
            }
            case "recordio" -> {
                RecordIOSource.Listing listing = RecordIOSource.read(settings.input(), conf);
                int size = settings.imageSize();
                if (size == 0) {
                    if (listing.height() != listing.width()) {
                        throw new SettingsException(PrepareSettings.IMAGE_SIZE, "must be set: the property file "
                                + "gives non-square " + listing.height() + "x" + listing.width() + " images",
                                0, "for example --image-size " + listing.height());
                    }
                    size = listing.height();
                }
                ImageDecoder decoder = new ImageDecoder(size, ImageDecoder.Resize.of(settings.resize()));
                long length;
                try {
                    Path rec = HadoopPaths.of(listing.rec());
                    length = rec.getFileSystem(conf).getFileStatus(rec).getLen();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot stat " + listing.rec() + ": " + e, e);
                }
                List<String> names = IntStream.range(0, listing.classes()).mapToObj(Integer::toString).toList();
                return new Loaded(listing.dir(), listing.classes(), names, null, new Manifest.Image(size, size, 3),
                        Map.of(Manifest.TRAIN, new RecordIORows(listing.rec(), length, listing.offsets(),
                                listing.float64(), decoder, settings.corruptImages().equals("skip"), conf)),
                        Map.of(Manifest.TRAIN, listing.labels()), listing.files(),
                        List.of(new Manifest.SourceFile("train.rec", recordFingerprint(listing, length))));
            }
            case "npy" -> {
                NpySource.Listing npy = NpySource.read(settings.input(), settings.labels(), conf);
                List<String> names = IntStream.range(0, npy.classes()).mapToObj(Integer::toString).toList();
                return new Loaded(npy.file(), npy.classes(), names, null,
                        new Manifest.Image(npy.height(), npy.width(), npy.channels()),
                        Map.of(Manifest.TRAIN, new NpyRows(npy.file(), npy.dataOffset(), npy.height(), npy.width(),
                                npy.channels(), conf)),
                        Map.of(Manifest.TRAIN, npy.labels()), npy.files(), List.of());
            }
            case "verification-bin", "lfw-pairs" -> {
                int size = settings.imageSize() == 0 ? PrepareSettings.PAIR_IMAGE_SIZE : settings.imageSize();
                ImageDecoder decoder = new ImageDecoder(size, ImageDecoder.Resize.of(settings.resize()));
                List<URI> files = new ArrayList<>();
                Map<String, VerificationSets.PairSet> sets = settings.format().equals("lfw-pairs")
                        ? Map.of("lfw", VerificationSets.lfw(settings.input(), decoder, conf, files))
                        : VerificationSets.bins(settings.input(), decoder, conf, files);
                Map<String, RowSource> rows = new LinkedHashMap<>();
                Map<String, int[]> labels = new LinkedHashMap<>();
                sets.forEach((name, set) -> {
                    rows.put(name, set.rows());
                    labels.put(name, set.labels());
                });
                Path dir = HadoopPaths.of(settings.input());
                try {
                    dir = dir.getFileSystem(conf).makeQualified(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open " + dir + ": " + e, e);
                }
                return new Loaded(dir.toUri(), 2, List.of("different", "same"), null,
                        new Manifest.Image(size, size, 3), rows, labels, files, List.of(), Manifest.PAIRS);
            }
            default -> throw new IllegalStateException("format " + settings.format() + " passed validation but "
                    + "has no reader");
        }
    }

    /**
     * SHA-256 of {@code train.rec}'s length and record offsets: hashing a 12 GB file on the driver would cost
     * minutes, the offsets pin the layout (the executors check every record's framing).
     */
    private static String recordFingerprint(RecordIOSource.Listing listing, long length) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * (listing.offsets().length + 1));
            b.putLong(length);
            for (long o : listing.offsets()) {
                b.putLong(o);
            }
            return java.util.HexFormat.of().formatHex(d.digest(b.array()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Loaded loadIdx(PrepareSettings settings, Configuration conf) {
        // Validate every header before reading any data.
        IdxSource source = IdxSource.find(settings.input(), conf);
        IdxReader.IdxHeader shape = null;
        for (IdxSource.Split split : source.splits()) {
            IdxReader.IdxHeader header = IdxReader.readPairHeaders(split.images(), split.labels(), conf);
            if (header.count() == 0) {
                throw new DataFormatException(HadoopPaths.of(split.images()) + ": declares 0 images; split '"
                        + split.name() + "' would be empty");
            }
            if (shape != null && !header.dimensions().subList(1, 3).equals(shape.dimensions().subList(1, 3))) {
                throw new DataFormatException("image sizes disagree: " + HadoopPaths.of(shape.file()) + " holds "
                        + shape.dimensions().get(1) + "x" + shape.dimensions().get(2) + " images but "
                        + HadoopPaths.of(header.file()) + " holds " + header.dimensions().get(1) + "x"
                        + header.dimensions().get(2));
            }
            shape = header;
        }
        Map<String, RowSource> rows = new LinkedHashMap<>();
        Map<String, int[]> labels = new LinkedHashMap<>();
        List<URI> files = new ArrayList<>();
        Manifest.Image image = null;
        for (IdxSource.Split split : source.splits()) {
            IdxData data = IdxReader.read(split.images(), split.labels(), settings.classes(), conf);
            image = new Manifest.Image(data.height(), data.width(), data.channels());
            ImageArrays arrays = data.toArrays();
            rows.put(split.name(), new ArrayRows(arrays));
            labels.put(split.name(), arrays.labels());
            files.add(split.images());
            files.add(split.labels());
        }
        return new Loaded(source.dir(), settings.classes(), settings.classNames(), null, image, rows, labels, files,
                List.of());
    }
}
