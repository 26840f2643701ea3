package io.protospark.data.image;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import io.protospark.data.shard.Manifest;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lists an image tree on the driver (no image is opened here).
 *
 * <ul>
 *   <li>{@code imagefolder} (torchvision's ImageFolder convention): {@code <input>/train/<class>/...} and
 *   {@code <input>/test/<class>/...} (or {@code val/}); classes are the sorted folder names of {@code train},
 *   label = index in that order; files are found recursively and sorted by relative path, id = index.</li>
 *   <li>{@code imagenet} (ILSVRC-2012): {@code train/<wnid>/*.JPEG}; {@code val/} either as class folders or flat
 *   ({@code ILSVRC2012_val_00000001.JPEG} …) with the devkit's {@code ILSVRC2012_validation_ground_truth.txt}
 *   (line i = ILSVRC2012_ID of image i) and a synset mapping: the devkit's {@code meta.mat} (read by
 *   {@link MatFile}: the {@code synsets} rows with {@code num_children == 0}) or a text file of lines
 *   {@code <ILSVRC2012_ID> <WNID> [words]}; each ID is mapped to its WNID and then to the sorted-WNID index, the
 *   torchvision/timm label.</li>
 *   <li>{@code tiny-imagenet} (Tiny-ImageNet-200, {@code tiny-imagenet-200/}): {@code wnids.txt} names the
 *   classes; label = index of the WNID in sorted order (the order torchvision's ImageFolder gives the
 *   {@code train/<wnid>/} folders, not the file's line order); split {@code train} from
 *   {@code train/<wnid>/images/*.JPEG} (boxes files ignored), split {@code test} from the labelled validation set,
 *   {@code val/images/val_<n>.JPEG} labelled by {@code val/val_annotations.txt} (tab-separated file name, WNID
 *   and box), in that file's line order; the unlabelled {@code test/} is not read.</li>
 * </ul>
 * Files with extensions other than .jpg, .jpeg and .png (any case), and hidden files (name starting with a dot,
 * such as macOS's {@code ._x.jpg}), are ignored. A class folder without images is
 * an error, as is a test class that {@code train} does not have.
 */
public final class ImageFolderSource {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderSource.class);
    private static final Pattern IMAGE = Pattern.compile(".*\\.(jpe?g|png)", Pattern.CASE_INSENSITIVE);
    private static final Pattern VAL_FILE = Pattern.compile("ILSVRC2012_val_(\\d{8})\\.JPEG",
            Pattern.CASE_INSENSITIVE);

    /** One split: its directory, the files relative to it, and their labels. */
    public record SplitFiles(URI root, String[] paths, int[] labels) {
    }

    /**
     * A listed tree.
     *
     * @param dir        the input directory, fully qualified
     * @param classNames sorted class folder names (WNIDs for ImageNet)
     * @param splits     {@code train}, then {@code test}
     * @param metadata   label files read (ImageNet flat val), to checksum
     * @param listings   per split, a SHA-256 of its sorted {@code path\tsize} listing (hashing every image on the
     *                   driver would read the whole data set)
     */
    public record Listing(URI dir, List<String> classNames, Map<String, SplitFiles> splits, List<URI> metadata,
                          List<Manifest.SourceFile> listings) {
    }

    private ImageFolderSource() {
    }

    /** Lists an {@code imagefolder} input. */
    public static Listing imageFolder(URI input, Configuration conf) {
        return list(input, null, null, conf, "imagefolder");
    }

    /**
     * Lists an {@code imagenet} input; {@code groundTruth} and {@code synsets} are needed when {@code val/} is flat
     * and may be {@code null} otherwise.
     */
    public static Listing imageNet(URI input, URI groundTruth, URI synsets, Configuration conf) {
        return list(input, groundTruth, synsets, conf, "imagenet");
    }

    /** Lists a {@code tiny-imagenet} input; see the class description. */
    public static Listing tinyImageNet(URI input, Configuration conf) {
        Path root = HadoopPaths.of(input);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            Path wnidsFile = new Path(root, "wnids.txt");
            Path train = new Path(root, "train");
            Path val = new Path(root, "val");
            Path valImages = new Path(val, "images");
            Path annotations = new Path(val, "val_annotations.txt");
            if (!fs.exists(wnidsFile) || !isDir(fs, train) || !isDir(fs, valImages) || !fs.exists(annotations)) {
                throw new DataFormatException("tiny-imagenet input " + root + " must hold wnids.txt, train/<wnid>/, "
                        + "val/images/ and val/val_annotations.txt (give the extracted tiny-imagenet-200 folder); it "
                        + "holds " + names(fs, root));
            }
            List<String> lines = lines(fs, wnidsFile);
            java.util.TreeSet<String> wnids = new java.util.TreeSet<>();
            for (int i = 0; i < lines.size(); i++) {
                String w = lines.get(i).trim();
                if (!w.isEmpty() && !wnids.add(w)) {
                    throw new DataFormatException(wnidsFile + ": line " + (i + 1) + " repeats WNID " + w);
                }
            }
            if (wnids.isEmpty()) {
                throw new DataFormatException(wnidsFile + ": names no WNID (one per line expected)");
            }
            List<String> classNames = List.copyOf(wnids);
            TreeMap<String, List<FileStatus>> trainClasses = classes(fs, train);
            for (String c : trainClasses.keySet()) {
                if (!wnids.contains(c)) {
                    throw new DataFormatException(new Path(train, c) + ": folder '" + c + "' is not a WNID of "
                            + wnidsFile);
                }
            }
            List<String> noImages = classNames.stream().filter(w -> !trainClasses.containsKey(w)).toList();
            if (!noImages.isEmpty()) {
                throw new DataFormatException(train + " lacks the class folders of " + noImages.size() + " WNIDs of "
                        + wnidsFile + ": " + noImages.subList(0, Math.min(5, noImages.size()))
                        + (noImages.size() > 5 ? " …" : ""));
            }
            Map<String, FileStatus> valFiles = new TreeMap<>();
            for (FileStatus s : fs.listStatus(valImages)) {
                String name = s.getPath().getName();
                if (s.isFile() && IMAGE.matcher(name).matches() && !name.startsWith(".")) {
                    valFiles.put(name, s);
                }
            }
            List<String> annotated = lines(fs, annotations);
            List<String> paths = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<FileStatus> listed = new ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < annotated.size(); i++) {
                String line = annotated.get(i).strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split("\t");
                if (f.length < 2) {
                    f = line.split("\\s+");
                }
                if (f.length < 2) {
                    throw new DataFormatException(annotations + ": line " + (i + 1) + " is not '<file>\\t<wnid>"
                            + "\\t<x0>\\t<y0>\\t<x1>\\t<y1>': " + line);
                }
                String file = f[0].trim();
                String wnid = f[1].trim();
                if (!wnids.contains(wnid)) {
                    throw new DataFormatException(annotations + ": line " + (i + 1) + " labels " + file
                            + " with WNID '" + wnid + "', which is not in " + wnidsFile);
                }
                FileStatus s = valFiles.get(file);
                if (s == null) {
                    throw new DataFormatException(annotations + ": line " + (i + 1) + " names " + file + ", which "
                            + valImages + " does not hold");
                }
                if (!seen.add(file)) {
                    throw new DataFormatException(annotations + ": line " + (i + 1) + " repeats " + file);
                }
                paths.add("images/" + file);
                labels.add(classNames.indexOf(wnid));
                listed.add(s);
            }
            List<String> unlabelled = valFiles.keySet().stream().filter(n -> !seen.contains(n)).toList();
            if (!unlabelled.isEmpty()) {
                throw new DataFormatException(valImages + ": " + unlabelled.size() + " images have no line in "
                        + annotations + ", e.g. " + unlabelled.get(0));
            }
            if (paths.isEmpty()) {
                throw new DataFormatException(annotations + ": labels no image");
            }
            Map<String, SplitFiles> splits = new LinkedHashMap<>();
            splits.put("train", fromClasses(train, trainClasses, classNames));
            splits.put("test", new SplitFiles(val.toUri(), paths.toArray(String[]::new),
                    labels.stream().mapToInt(Integer::intValue).toArray()));
            List<Manifest.SourceFile> listings = List.of(listing("train/", train, trainClasses.values()),
                    listing("val/", val, List.of(listed)));
            List<URI> metadata = new ArrayList<>(List.of(wnidsFile.toUri(), annotations.toUri()));
            if (fs.exists(new Path(root, "words.txt"))) {
                metadata.add(new Path(root, "words.txt").toUri());
            }
            return new Listing(root.toUri(), classNames, splits, metadata, listings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list tiny-imagenet input " + root + ": " + e, e);
        }
    }

    private static Listing list(URI input, URI groundTruth, URI synsets, Configuration conf, String format) {
        Path root = HadoopPaths.of(input);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            Path train = new Path(root, "train");
            Path test = firstDir(fs, root, format.equals("imagenet") ? List.of("val") : List.of("test", "val"));
            if (!isDir(fs, train) || test == null) {
                throw new DataFormatException(format + " input " + root + " must hold train/ and "
                        + (format.equals("imagenet") ? "val/" : "test/ (or val/)") + " directories; it holds "
                        + names(fs, root));
            }
            TreeMap<String, List<FileStatus>> trainClasses = classes(fs, train);
            if (trainClasses.isEmpty()) {
                throw new DataFormatException(train + " holds no class folders");
            }
            List<String> classNames = List.copyOf(trainClasses.keySet());
            Map<String, SplitFiles> splits = new LinkedHashMap<>();
            List<Manifest.SourceFile> listings = new ArrayList<>();
            List<URI> metadata = new ArrayList<>();
            splits.put("train", fromClasses(train, trainClasses, classNames));
            listings.add(listing("train/", train, trainClasses.values()));

            boolean flat = hasFilesOnly(fs, test);
            if (flat && format.equals("imagenet")) {
                if (groundTruth == null || synsets == null) {
                    throw new DataFormatException(test + " is flat (no class folders): its labels need "
                            + "prepare.imagenet.val-ground-truth (the devkit's ILSVRC2012_validation_ground_truth.txt) "
                            + "and prepare.imagenet.synsets (the devkit's meta.mat, or a text file of lines "
                            + "'<ILSVRC2012_ID> <WNID> [words]')");
                }
                List<FileStatus> files = images(fs, test);
                splits.put("test", flatVal(fs, test, files, HadoopPaths.of(groundTruth), HadoopPaths.of(synsets),
                        classNames));
                listings.add(listing(test.getName() + "/", test, List.of(files)));
                metadata.add(fs.makeQualified(HadoopPaths.of(groundTruth)).toUri());
                metadata.add(fs.makeQualified(HadoopPaths.of(synsets)).toUri());
            } else {
                TreeMap<String, List<FileStatus>> testClasses = classes(fs, test);
                for (String c : testClasses.keySet()) {
                    if (!trainClasses.containsKey(c)) {
                        throw new DataFormatException(new Path(test, c) + ": class '" + c + "' is not among the "
                                + classNames.size() + " class folders of " + train);
                    }
                }
                splits.put("test", fromClasses(test, testClasses, classNames));
                listings.add(listing(test.getName() + "/", test, testClasses.values()));
            }
            return new Listing(root.toUri(), classNames, splits, metadata, listings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + format + " input " + root + ": " + e, e);
        }
    }

    private static Path firstDir(FileSystem fs, Path root, List<String> names) throws IOException {
        for (String n : names) {
            if (isDir(fs, new Path(root, n))) {
                return new Path(root, n);
            }
        }
        return null;
    }

    private static boolean isDir(FileSystem fs, Path p) throws IOException {
        try {
            return fs.getFileStatus(p).isDirectory();
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    private static List<String> names(FileSystem fs, Path dir) throws IOException {
        try {
            List<String> n = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                n.add(s.getPath().getName() + (s.isDirectory() ? "/" : ""));
            }
            return n.stream().sorted().toList();
        } catch (FileNotFoundException e) {
            throw new DataFormatException("input directory not found: " + dir);
        }
    }

    private static boolean hasFilesOnly(FileSystem fs, Path dir) throws IOException {
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isDirectory()) {
                return false;
            }
        }
        return true;
    }

    /** Class folder name → its images, sorted by path; an empty class folder is an error. */
    private static TreeMap<String, List<FileStatus>> classes(FileSystem fs, Path split) throws IOException {
        TreeMap<String, List<FileStatus>> classes = new TreeMap<>();
        int ignored = 0;
        for (FileStatus s : fs.listStatus(split)) {
            if (!s.isDirectory()) {
                ignored++;
                continue;
            }
            List<FileStatus> files = images(fs, s.getPath());
            if (files.isEmpty()) {
                throw new DataFormatException("class folder " + s.getPath() + " holds no .jpg, .jpeg or .png "
                        + "file; remove it or add its images");
            }
            classes.put(s.getPath().getName(), files);
        }
        if (ignored > 0) {
            LOG.info("{}: ignored {} files beside the class folders", split, ignored);
        }
        return classes;
    }

    /** Image files under {@code dir}, recursively, sorted by path. */
    private static List<FileStatus> images(FileSystem fs, Path dir) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        int ignored = 0;
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String name = s.getPath().getName();
            if (IMAGE.matcher(name).matches() && !name.startsWith(".")) { // not macOS "._x.jpg" resource forks
                files.add(s);
            } else {
                ignored++;
            }
        }
        if (ignored > 0) {
            LOG.info("{}: ignored {} files that are not .jpg, .jpeg or .png", dir, ignored);
        }
        files.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
        return files;
    }

    private static SplitFiles fromClasses(Path split, Map<String, List<FileStatus>> classes,
                                          List<String> classNames) {
        List<String> paths = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Map.Entry<String, List<FileStatus>> e : classes.entrySet()) {
            int label = classNames.indexOf(e.getKey());
            for (FileStatus s : e.getValue()) {
                paths.add(relative(split, s.getPath()));
                labels.add(label);
            }
        }
        return new SplitFiles(split.toUri(), paths.toArray(String[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String relative(Path base, Path file) {
        String b = base.toUri().getPath();
        String f = file.toUri().getPath();
        return f.substring(b.length() + (b.endsWith("/") ? 0 : 1));
    }

    /** Flat ImageNet val: labels from the ground-truth line of each file's number, mapped ID → WNID → index. */
    private static SplitFiles flatVal(FileSystem fs, Path val, List<FileStatus> files, Path groundTruth,
                                      Path synsets, List<String> classNames) throws IOException {
        Map<Integer, String> wnidOf = new TreeMap<>();
        List<String> lines = synsets.getName().endsWith(".mat") ? List.of() : lines(fs, synsets);
        if (synsets.getName().endsWith(".mat")) {
            try (InputStream in = fs.open(synsets)) {
                wnidOf.putAll(MatFile.ilsvrcSynsets(in.readAllBytes(), synsets.toString()));
            } catch (FileNotFoundException e) {
                throw new DataFormatException("label file not found: " + synsets);
            }
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+", 3);
            int id;
            try {
                id = Integer.parseInt(f[0]);
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (f.length < 2 || id < 1) {
                throw new DataFormatException(synsets + ": line " + (i + 1) + " is not '<ILSVRC2012_ID> <WNID> "
                        + "[words]': " + line);
            }
            if (wnidOf.put(id, f[1]) != null) {
                throw new DataFormatException(synsets + ": line " + (i + 1) + " repeats ILSVRC2012_ID " + id);
            }
        }
        List<String> truth = lines(fs, groundTruth).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        String[] paths = new String[files.size()];
        int[] labels = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i).getPath();
            Matcher m = VAL_FILE.matcher(p.getName());
            if (!m.matches() || !p.getParent().equals(val)) {
                throw new DataFormatException(p + ": a flat ImageNet val/ holds only ILSVRC2012_val_NNNNNNNN.JPEG "
                        + "files");
            }
            int number = Integer.parseInt(m.group(1));
            if (number < 1 || number > truth.size()) {
                throw new DataFormatException(p + ": image number " + number + " has no line in " + groundTruth
                        + " (" + truth.size() + " lines)");
            }
            int id;
            try {
                id = Integer.parseInt(truth.get(number - 1));
            } catch (NumberFormatException e) {
                throw new DataFormatException(groundTruth + ": line " + number + " is not an ILSVRC2012_ID: "
                        + truth.get(number - 1));
            }
            String wnid = wnidOf.get(id);
            if (wnid == null) {
                throw new DataFormatException(groundTruth + ": line " + number + " holds ILSVRC2012_ID " + id
                        + ", which " + synsets + " does not map to a WNID");
            }
            int label = classNames.indexOf(wnid);
            if (label < 0) {
                throw new DataFormatException(p + ": its WNID " + wnid + " (ILSVRC2012_ID " + id + ") is not a "
                        + "class folder of train/");
            }
            paths[i] = p.getName();
            labels[i] = label;
        }
        return new SplitFiles(val.toUri(), paths, labels);
    }

    private static List<String> lines(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\r?\n"));
        } catch (FileNotFoundException e) {
            throw new DataFormatException("label file not found: " + file);
        }
    }

    private static Manifest.SourceFile listing(String name, Path base, Iterable<List<FileStatus>> groups) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (List<FileStatus> group : groups) {
            for (FileStatus s : group) {
                d.update((relative(base, s.getPath()) + "\t" + s.getLen() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return new Manifest.SourceFile(name, HexFormat.of().formatHex(d.digest()));
    }
}
