package io.protospark.data.shard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code manifest.json} of a prepared data set: what the shards hold and their SHA-256 checksums. Written last
 * by {@code protospark prepare}; a directory without one is not a (complete) prepared data set.
 *
 * <pre>{@code
 * {"version":1, "format":"idx", "classes":10, "class_names":["0",...],
 *  "image":{"height":28,"width":28,"channels":1},
 *  "splits":{"train":{"examples":60000,"per_class":[...]}, "test":{...}},
 *  "files":[{"path":"train/part-00000.parquet","split":"train","examples":60000,"sha256":"..."}],
 *  "source":{"input":"file:/data/fashion-mnist","files":[{"path":"train-images-idx3-ubyte.gz","sha256":"..."}]},
 *  "created":"2026-01-01T00:00:00Z"}
 * }</pre>
 *
 * @param version    layout version, {@value #VERSION}
 * @param format     the input format the shards were prepared from ({@code idx})
 * @param classes    number of classes; labels lie in [0, classes)
 * @param classNames one name per label
 * @param image      shape of every image
 * @param splits     per split ({@code train}, {@code test}): examples and examples per class
 * @param files      every shard, with its path relative to the data set directory
 * @param source     the input the shards were prepared from, with checksums of its files
 * @param created    when the data set was prepared, ISO-8601
 * @param coarseClassNames CIFAR-100 only: the names of the {@code coarse_label} values; {@code null} otherwise
 * @param transforms what was done to the source, with the seed: class subset or open-set split and the label
 *                   mapping, long-tail counts, validation fraction; {@code null} when nothing was
 * @param schema     {@value #PAIRS} for verification pairs ({@code ShardSchema.PAIR_SCHEMA}: label 1 = same,
 *                   0 = different, classes "different", "same"); {@code null} for labelled examples
 * @param store      {@value #ENCODED} when the shards hold encoded images ({@code ShardSchema.ENCODED_SCHEMA}; then
 *                   {@code image} gives the shorter side the images were resized to, or 0 x 0 for the original
 *                   sizes); {@code null} for decoded pixels (every data set prepared before this field existed)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"version", "format", "schema", "classes", "class_names", "coarse_class_names", "image", "splits",
        "files", "source", "transforms", "created", "store"})
public record Manifest(int version, String format, int classes,
                       @JsonProperty("class_names") List<String> classNames, Image image, Map<String, Split> splits,
                       List<ShardFile> files, Source source, String created,
                       @JsonProperty("coarse_class_names") List<String> coarseClassNames,
                       Map<String, Object> transforms, String schema, String store) {
    /** The layout version this code writes and reads. */
    public static final int VERSION = 1;
    /** Name of the manifest inside a prepared data set directory. */
    public static final String FILE_NAME = "manifest.json";
    /** The training split. */
    public static final String TRAIN = "train";
    /** The test split. */
    public static final String TEST = "test";
    /** The held-out validation split, drawn from the training data ({@code prepare.validation-fraction}). */
    public static final String VALIDATION = "validation";
    /** Open-set only: the test examples of the unknown classes, all with label {@value #UNKNOWN_LABEL}. */
    public static final String TEST_UNKNOWN = "test-unknown";
    /** The {@code schema} of verification-pair data sets. */
    public static final String PAIRS = "pairs";
    /** The {@code store} of data sets whose shards keep encoded images. */
    public static final String ENCODED = "encoded";
    /** The label of an example of an unknown class (open-set). */
    public static final int UNKNOWN_LABEL = -1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Image shape: pixels are stored channel-major (CHW), row-major. */
    public record Image(int height, int width, int channels) {
        /** Bytes of one image: height * width * channels. */
        public int bytes() {
            return height * width * channels;
        }
    }

    /**
     * One split: its number of examples and how many carry each label; {@code unknown} counts examples with
     * label {@value #UNKNOWN_LABEL} (open-set), {@code skipped} lists the ids of source examples left out because
     * they could not be decoded (policy {@code skip}). Both are omitted when empty.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"examples", "per_class", "unknown", "skipped"})
    public record Split(long examples, @JsonProperty("per_class") List<Long> perClass, Long unknown,
                        List<Long> skipped) {
        public Split {
            perClass = perClass == null ? null : List.copyOf(perClass);
            unknown = unknown == null || unknown == 0 ? null : unknown;
            skipped = skipped == null || skipped.isEmpty() ? null : List.copyOf(skipped);
        }

        public Split(long examples, List<Long> perClass) {
            this(examples, perClass, null, null);
        }

        /** Examples of unknown classes, 0 unless open-set. */
        public long unknownExamples() {
            return unknown == null ? 0 : unknown;
        }
    }

    /** One Parquet shard: path relative to the data set directory, split, row count and SHA-256 (hex). */
    public record ShardFile(String path, String split, long examples, String sha256) {
    }

    /** The prepared input: its directory and a checksum per input file (path relative to {@code input}). */
    public record Source(String input, List<SourceFile> files) {
        public Source {
            files = files == null ? null : List.copyOf(files);
        }
    }

    /** One input file and its SHA-256 (hex). */
    public record SourceFile(String path, String sha256) {
    }

    public Manifest(int version, String format, int classes, List<String> classNames, Image image,
                    Map<String, Split> splits, List<ShardFile> files, Source source, String created) {
        this(version, format, classes, classNames, image, splits, files, source, created, null, null, null);
    }

    /** A manifest of decoded pixels (no {@code store} field). */
    public Manifest(int version, String format, int classes, List<String> classNames, Image image,
                    Map<String, Split> splits, List<ShardFile> files, Source source, String created,
                    List<String> coarseClassNames, Map<String, Object> transforms, String schema) {
        this(version, format, classes, classNames, image, splits, files, source, created, coarseClassNames,
                transforms, schema, null);
    }

    /** Whether the shards hold encoded images (column {@code encoded}) rather than decoded pixels. */
    public boolean encoded() {
        return ENCODED.equals(store);
    }

    public Manifest {
        coarseClassNames = coarseClassNames == null ? null : List.copyOf(coarseClassNames);
        transforms = transforms == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(transforms));
        classNames = classNames == null ? null : List.copyOf(classNames);
        splits = splits == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(splits));
        files = files == null ? null : List.copyOf(files);
    }

    /** The shards of {@code split}, in order. */
    public List<ShardFile> files(String split) {
        return files.stream().filter(f -> f.split().equals(split)).toList();
    }

    /**
     * Reads {@code <dir>/manifest.json} and checks it (version, counts, paths, checksum syntax). A missing file
     * raises a {@link DataFormatException} that names the path and says to run {@code protospark prepare}.
     */
    public static Manifest read(URI dir, Configuration hadoopConf) {
        Path file = new Path(HadoopPaths.of(dir), FILE_NAME);
        try {
            FileSystem fs = file.getFileSystem(hadoopConf);
            byte[] bytes;
            try (InputStream in = fs.open(file)) {
                bytes = in.readAllBytes();
            } catch (FileNotFoundException e) {
                throw new DataFormatException("no " + FILE_NAME + " at " + file + ": " + dir + " is not a prepared "
                        + "data set (or its preparation did not finish); run `protospark prepare --input <raw data> "
                        + "--output " + dir + "` first");
            }
            return parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }

    /** Parses and checks manifest JSON; {@code origin} names the file in messages. */
    public static Manifest parse(String json, String origin) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (JsonProcessingException e) {
            throw new DataFormatException(origin + ": not a valid manifest: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        }
        m.check(origin);
        return m;
    }

    /** The manifest as indented JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise manifest: " + e.getMessage(), e);
        }
    }

    /** Checks internal consistency; {@code origin} names the manifest in messages. */
    public void check(String origin) {
        String at = origin + ": ";
        if (version != VERSION) {
            throw new DataFormatException(at + "manifest version " + version + " is not supported; this build reads "
                    + "version " + VERSION + " (re-run `protospark prepare`)");
        }
        require(format != null && !format.isEmpty(), at + "field 'format' is missing");
        require(classes > 0, at + "field 'classes' must be positive, found " + classes);
        require(classNames != null && classNames.size() == classes, at + "field 'class_names' must list "
                + classes + " names, found " + (classNames == null ? "none" : classNames.size()));
        require(store == null || store.equals(ENCODED), at + "field 'store' must be \"" + ENCODED + "\" or absent "
                + "(decoded pixels), found \"" + store + "\"");
        int least = encoded() ? 0 : 1; // encoded at their original sizes: 0 x 0
        require(image != null && image.height() >= least && image.width() >= least && image.channels() > 0,
                at + "field 'image' must give " + (least == 0 ? "non-negative" : "positive")
                        + " height and width and positive channels, found " + image);
        require(splits != null && !splits.isEmpty(), at + "field 'splits' is missing or empty");
        require(files != null, at + "field 'files' is missing");
        require(source != null, at + "field 'source' is missing");
        for (Map.Entry<String, Split> e : splits.entrySet()) {
            String name = e.getKey();
            Split s = e.getValue();
            require(s != null && s.perClass() != null && s.perClass().size() == classes, at + "split '" + name
                    + "': 'per_class' must have " + classes + " entries");
            long sum = s.perClass().stream().mapToLong(Long::longValue).sum() + s.unknownExamples();
            require(sum == s.examples(), at + "split '" + name + "': 'per_class' and 'unknown' add up to " + sum
                    + " but 'examples' is " + s.examples());
            long inFiles = files(name).stream().mapToLong(ShardFile::examples).sum();
            require(inFiles == s.examples(), at + "split '" + name + "': its files hold " + inFiles + " examples "
                    + "but 'examples' is " + s.examples());
        }
        for (ShardFile f : files) {
            require(f.path() != null && !f.path().isEmpty() && !f.path().startsWith("/") && !f.path().contains(":")
                    && !List.of(f.path().split("/")).contains(".."), at + "file path '" + f.path()
                    + "' must be relative to the data set directory");
            require(splits.containsKey(f.split()), at + "file " + f.path() + " belongs to split '" + f.split()
                    + "', which is not among " + splits.keySet());
            require(f.sha256() != null && SHA256.matcher(f.sha256()).matches(), at + "file " + f.path()
                    + ": 'sha256' must be 64 lower-case hex digits, found " + f.sha256());
        }
        try {
            Instant.parse(created);
        } catch (DateTimeParseException | NullPointerException e) {
            throw new DataFormatException(at + "field 'created' must be an ISO-8601 instant, found " + created);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new DataFormatException(message);
        }
    }
}
