package io.protospark.data.verify;

import io.protospark.data.io.DataFormatException;
import io.protospark.data.io.HadoopPaths;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Face verification sets as pairs, read on the driver (images stay encoded until the executors decode them).
 *
 * <ul>
 *   <li>InsightFace {@code .bin} ({@code eval/verification.py}: a pickle of {@code (bins, issame_list)}, bins =
 *   2 × pairs encoded images, pair i = bins[2i], bins[2i+1]); every {@code *.bin} of the input directory becomes a
 *   split named after the file (lfw, cfp_fp, agedb_30 …). Python 3 {@code bytes} arrive as {@code byte[]}, Python 2
 *   {@code str} as a String of one char per byte, NumPy {@code uint8} arrays (from {@code cv2.imencode}) and
 *   {@code numpy.bool_} flags through {@link NumpyPickles}. Folds follow scikit-learn's {@code KFold(10, shuffle=False)} over
 *   the pairs in order, as the protocol does.</li>
 *   <li>LFW {@code pairs.txt} (first line {@code folds\tn}, then per fold n matched lines {@code name\ti\tj} and n
 *   mismatched lines {@code name1\ti\tname2\tj}; images {@code lfw/<name>/<name>_%04d.jpg}): split {@code lfw},
 *   fold = the set of the pair.</li>
 * </ul>
 */
public final class VerificationSets {
    /** Folds of the verification protocol. */
    public static final int FOLDS = 10;

    private VerificationSets() {
    }

    /** One set: labels (1 same, 0 different), folds, and the rows. */
    public record PairSet(int[] labels, PairRows rows) {
    }

    /** Encoded images and same/different flags of one {@code .bin}. */
    public record Bin(byte[][] images, boolean[] issame) {
    }

    /** Every {@code *.bin} of {@code dir}, by file stem, in name order. */
    public static Map<String, PairSet> bins(URI dir, io.protospark.data.image.ImageDecoder decoder,
                                            Configuration conf, List<URI> filesOut) {
        Path root = HadoopPaths.of(dir);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            TreeMap<String, Path> bins = new TreeMap<>();
            for (FileStatus s : HadoopPaths.listInput(fs, root, "verification")) {
                if (s.isFile() && s.getPath().getName().endsWith(".bin")) {
                    String name = s.getPath().getName();
                    bins.put(name.substring(0, name.length() - 4), s.getPath());
                }
            }
            if (bins.isEmpty()) {
                throw new DataFormatException(root + " holds no .bin verification set (lfw.bin, cfp_fp.bin, ...)");
            }
            Map<String, PairSet> sets = new LinkedHashMap<>();
            for (Map.Entry<String, Path> e : bins.entrySet()) {
                Bin bin;
                try (InputStream in = fs.open(e.getValue())) {
                    bin = readBin(in, e.getValue().toString());
                }
                int pairs = bin.issame().length;
                int[] labels = new int[pairs];
                for (int i = 0; i < pairs; i++) {
                    labels[i] = bin.issame()[i] ? 1 : 0;
                }
                sets.put(e.getKey(), new PairSet(labels, PairRows.inMemory(bin.images(), kFolds(pairs), decoder,
                        e.getValue().toString())));
                filesOut.add(e.getValue().toUri());
            }
            return sets;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read verification sets in " + root + ": " + e, e);
        }
    }

    /** Unpickles {@code (bins, issame_list)}; {@code origin} names the file in messages. */
    public static Bin readBin(InputStream in, String origin) throws IOException {
        Object o;
        NumpyPickles.register();
        try {
            o = new Unpickler().load(in);
        } catch (PickleException e) {
            throw new DataFormatException(origin + ": not a readable pickle: " + e.getMessage(), e);
        }
        if (!(o instanceof Object[] tuple) || tuple.length != 2 || !(tuple[0] instanceof List<?> bins)
                || !(tuple[1] instanceof List<?> issame)) {
            throw new DataFormatException(origin + ": expected a pickled tuple (bins, issame_list) of two lists, found "
                    + (o == null ? "None" : o.getClass().getSimpleName()));
        }
        if (bins.size() != 2 * issame.size()) {
            throw new DataFormatException(origin + ": holds " + bins.size() + " images for " + issame.size()
                    + " pairs; expected exactly 2 per pair");
        }
        byte[][] images = new byte[bins.size()][];
        for (int i = 0; i < images.length; i++) {
            Object b = bins.get(i);
            if (b instanceof byte[] bytes) {
                images[i] = bytes;
            } else if (b instanceof String s) {
                images[i] = s.getBytes(StandardCharsets.ISO_8859_1);
            } else if (b instanceof NumpyPickles.NdArray array && array.uint8() != null) {
                images[i] = array.uint8();
            } else if (b instanceof NumpyPickles.NdArray array) {
                throw new DataFormatException(origin + ": image " + i + " is a NumPy array of dtype "
                        + array.dtypeName() + ", expected encoded image bytes (uint8)");
            } else {
                throw new DataFormatException(origin + ": image " + i + " is a " + (b == null ? "None"
                        : b.getClass().getSimpleName()) + ", expected encoded image bytes");
            }
        }
        boolean[] same = new boolean[issame.size()];
        for (int i = 0; i < same.length; i++) {
            Object v = issame.get(i);
            if (v instanceof Boolean flag) {
                same[i] = flag;
            } else if (v instanceof Number n && (n.intValue() == 0 || n.intValue() == 1)) {
                same[i] = n.intValue() == 1;
            } else {
                throw new DataFormatException(origin + ": issame_list[" + i + "] is " + v + ", expected a bool");
            }
        }
        return new Bin(images, same);
    }

    /** Fold of each of {@code n} items under scikit-learn's {@code KFold(10, shuffle=False)}. */
    public static int[] kFolds(int n) {
        int[] folds = new int[n];
        int i = 0;
        for (int f = 0; f < FOLDS; f++) {
            int size = n / FOLDS + (f < n % FOLDS ? 1 : 0);
            for (int j = 0; j < size; j++) {
                folds[i++] = f;
            }
        }
        return folds;
    }

    /** LFW: {@code <dir>/pairs.txt} and {@code <dir>/lfw/<name>/<name>_%04d.jpg}. */
    public static PairSet lfw(URI dir, io.protospark.data.image.ImageDecoder decoder, Configuration conf,
                              List<URI> filesOut) {
        Path root = HadoopPaths.of(dir);
        try {
            FileSystem fs = root.getFileSystem(conf);
            root = fs.makeQualified(root);
            Path pairsFile = new Path(root, "pairs.txt");
            Path images = new Path(root, "lfw");
            String text;
            try (InputStream in = fs.open(pairsFile)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (FileNotFoundException e) {
                throw new DataFormatException("LFW input " + root + " lacks pairs.txt");
            }
            String[] lines = text.split("\r?\n");
            String[] head = lines[0].trim().split("\\s+");
            int sets;
            int perSet;
            try {
                sets = head.length == 2 ? Integer.parseInt(head[0]) : 1;
                perSet = Integer.parseInt(head[head.length - 1]);
            } catch (NumberFormatException e) {
                throw new DataFormatException(pairsFile + ": line 1 must be '<folds>\\t<pairs per half-fold>' (e.g. "
                        + "10\\t300) or '<N>', found '" + lines[0] + "'");
            }
            List<String> paths = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<Integer> folds = new ArrayList<>();
            int line = 1;
            for (int s = 0; s < sets; s++) {
                for (int half = 0; half < 2; half++) {
                    for (int p = 0; p < perSet; p++, line++) {
                        if (line >= lines.length) {
                            throw new DataFormatException(pairsFile + ": ends at line " + line + "; line 1 promises "
                                    + sets + " x 2 x " + perSet + " pair lines");
                        }
                        String[] f = lines[line].trim().split("\\s+");
                        boolean matched = half == 0;
                        if (f.length != (matched ? 3 : 4)) {
                            throw new DataFormatException(pairsFile + ": line " + (line + 1) + " should be a "
                                    + (matched ? "matched pair 'name i j'" : "mismatched pair 'name1 i name2 j'")
                                    + ", found '" + lines[line] + "'");
                        }
                        try {
                            paths.add(image(f[0], Integer.parseInt(f[1])));
                            paths.add(matched ? image(f[0], Integer.parseInt(f[2]))
                                    : image(f[2], Integer.parseInt(f[3])));
                        } catch (NumberFormatException e) {
                            throw new DataFormatException(pairsFile + ": line " + (line + 1) + ": image numbers must "
                                    + "be integers: '" + lines[line] + "'");
                        }
                        labels.add(matched ? 1 : 0);
                        folds.add(s);
                    }
                }
            }
            for (String p : paths) {
                if (!fs.exists(new Path(images, p))) {
                    throw new DataFormatException(pairsFile + " names " + new Path(images, p) + ", which does not "
                            + "exist");
                }
            }
            filesOut.add(pairsFile.toUri());
            return new PairSet(labels.stream().mapToInt(Integer::intValue).toArray(),
                    PairRows.files(images.toString(), paths.toArray(String[]::new),
                            folds.stream().mapToInt(Integer::intValue).toArray(), decoder, conf));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read LFW input " + root + ": " + e, e);
        }
    }

    private static String image(String name, int number) {
        return name + "/" + name + String.format("_%04d.jpg", number);
    }
}
