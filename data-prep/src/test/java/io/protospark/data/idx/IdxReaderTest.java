package io.protospark.data.idx;

import io.protospark.data.io.DataFormatException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.protospark.data.idx.IdxTestFiles.gzip;
import static io.protospark.data.idx.IdxTestFiles.images;
import static io.protospark.data.idx.IdxTestFiles.labels;
import static io.protospark.data.idx.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    private static final int N = 7;
    private static final int H = 3;
    private static final int W = 4;
    private static final int CLASSES = 5;

    private final Configuration conf = new Configuration();

    @TempDir
    Path dir;

    @Test
    void readsRawFilesExactly() {
        Path img = write(dir.resolve("img"), images(N, H, W));
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        checkContent(IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf));
    }

    @Test
    void detectsGzipByMagicBytesNotByName() {
        // gzip content under names without .gz, raw content under a .gz name
        Path img = write(dir.resolve("images.idx"), gzip(images(N, H, W)));
        Path lab = write(dir.resolve("labels.gz"), labels(N, CLASSES));
        checkContent(IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf));
    }

    @Test
    void readsBarePaths() {
        Path img = write(dir.resolve("img.gz"), gzip(images(N, H, W)));
        Path lab = write(dir.resolve("lab.gz"), gzip(labels(N, CLASSES)));
        checkContent(IdxReader.read(URI.create(img.toString()), URI.create(lab.toString()), CLASSES, conf));
    }

    private static void checkContent(IdxData data) {
        assertEquals(N, data.count());
        assertEquals(H, data.height());
        assertEquals(W, data.width());
        assertEquals(1, data.channels());
        long[] perClass = new long[CLASSES];
        for (int i = 0; i < N; i++) {
            assertEquals(IdxTestFiles.label(i, CLASSES), data.label(i), "label " + i);
            byte[] expected = new byte[H * W];
            for (int p = 0; p < expected.length; p++) {
                expected[p] = IdxTestFiles.pixel(i, p);
            }
            assertArrayEquals(expected, data.image(i), "pixels of image " + i);
            perClass[IdxTestFiles.label(i, CLASSES)]++;
        }
        assertArrayEquals(perClass, data.perClass(CLASSES));
    }

    @Test
    void headersGiveCounts() {
        Path img = write(dir.resolve("img"), images(N, H, W));
        Path lab = write(dir.resolve("lab"), gzip(labels(N, CLASSES)));
        IdxReader.IdxHeader header = IdxReader.readPairHeaders(img.toUri(), lab.toUri(), conf);
        assertEquals(List.of(N, H, W), header.dimensions());
        assertEquals(H * W, header.recordBytes());
    }

    @Test
    void wrongMagicIsRefused() {
        // a label file given as the image file
        Path img = write(dir.resolve("img"), labels(N, CLASSES));
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), "byte offset 0", "0x00000801", "0x00000803", "label file");

        // not IDX at all
        byte[] zip = {'P', 'K', 3, 4, 0, 0, 0, 0};
        Path bad = write(dir.resolve("bad"), zip);
        m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(bad.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, bad.toString(), "byte offset 0", "0x504B0304", "not an IDX file");

        // float elements (type 0x0D)
        byte[] floats = images(N, H, W);
        floats[2] = 0x0D;
        Path fl = write(dir.resolve("floats"), floats);
        m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(fl.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, fl.toString(), "0x00000D03", "element type 0x0D", "byte offset 2");
    }

    @Test
    void truncatedImageFileNamesOffsetAndRecord() {
        byte[] full = images(N, H, W);
        int cut = 16 + 2 * H * W + 5; // two whole images and 5 bytes of the third
        Path img = write(dir.resolve("img"), Arrays.copyOf(full, cut));
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), "truncated", "byte offset " + cut, "image record 2 of " + N,
                "5 of " + H * W + " bytes");

        // the same cut inside a gzip stream whose end is missing too
        byte[] gz = gzip(Arrays.copyOf(full, cut));
        Path imgGz = write(dir.resolve("img.gz"), Arrays.copyOf(gz, gz.length - 10));
        m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(imgGz.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, imgGz.toString(), "truncated", "of the decompressed data", "image record");
    }

    @Test
    void truncatedHeaderIsRefused() {
        Path img = write(dir.resolve("img"), Arrays.copyOf(images(N, H, W), 10));
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), "truncated header", "byte offset 10", "dimension 1");
    }

    @Test
    void truncatedLabelFileNamesOffsetAndRecord() {
        Path img = write(dir.resolve("img"), images(N, H, W));
        Path lab = write(dir.resolve("lab"), Arrays.copyOf(labels(N, CLASSES), 8 + 3));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, lab.toString(), "truncated", "byte offset 11", "label record 3 of " + N);
    }

    @Test
    void trailingDataIsRefused() {
        byte[] full = images(N, H, W);
        Path img = write(dir.resolve("img"), Arrays.copyOf(full, full.length + 3));
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), "more data than declared", "byte offset " + full.length);
    }

    @Test
    void countMismatchNamesBothFilesAndCounts() {
        Path img = write(dir.resolve("img"), images(N, H, W));
        Path lab = write(dir.resolve("lab.gz"), gzip(labels(N - 2, CLASSES)));
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), lab.toString(), "declares " + N + " images", "declares " + (N - 2)
                + " labels");
        assertThrows(DataFormatException.class, () -> IdxReader.readPairHeaders(img.toUri(), lab.toUri(), conf));
    }

    @Test
    void labelOutOfRangeNamesRecordOffsetAndValue() {
        byte[] bytes = labels(N, CLASSES);
        bytes[8 + 4] = (byte) 200; // record 4: beyond 127, so it must be read as unsigned
        Path img = write(dir.resolve("img"), images(N, H, W));
        Path lab = write(dir.resolve("lab"), bytes);
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, lab.toString(), "label 200", "record 4", "byte offset 12", "[0, " + CLASSES + ")");
    }

    @Test
    void missingFileNamesPathAndExpectation() {
        Path lab = write(dir.resolve("lab"), labels(N, CLASSES));
        Path img = dir.resolve("no-such-images");
        String m = assertThrows(DataFormatException.class,
                () -> IdxReader.read(img.toUri(), lab.toUri(), CLASSES, conf)).getMessage();
        assertMentions(m, img.toString(), "not found", "IDX image file", "0x00000803");
    }

    @Test
    void sourceFindsRawAndGzipFilesAndNamesMissingOnes() throws Exception {
        IdxTestFiles.dataset(dir, 4, 2, H, W, CLASSES);
        IdxSource source = IdxSource.find(dir.toUri(), conf);
        assertEquals(List.of("train", "test"), source.splits().stream().map(IdxSource.Split::name).toList());
        assertTrue(source.splits().get(0).images().toString().endsWith("train-images-idx3-ubyte.gz"));
        assertTrue(source.splits().get(1).labels().toString().endsWith("t10k-labels-idx1-ubyte"));

        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        String m = assertThrows(DataFormatException.class, () -> IdxSource.find(dir.toUri(), conf)).getMessage();
        assertMentions(m, dir.toString(), "lacks t10k-labels-idx1-ubyte");

        Path none = dir.resolve("absent");
        m = assertThrows(DataFormatException.class, () -> IdxSource.find(none.toUri(), conf)).getMessage();
        assertMentions(m, none.toString(), "not found", "train-images-idx3-ubyte");
    }

    @Test
    void realFashionMnistHeaders() {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.isDirectory(fashion), "Fashion-MNIST not installed (dataset-fashion-mnist)");
        IdxSource source = IdxSource.find(fashion.toUri(), conf);
        IdxReader.IdxHeader train = IdxReader.readPairHeaders(source.splits().get(0).images(),
                source.splits().get(0).labels(), conf);
        IdxReader.IdxHeader test = IdxReader.readPairHeaders(source.splits().get(1).images(),
                source.splits().get(1).labels(), conf);
        assertEquals(List.of(60000, 28, 28), train.dimensions());
        assertEquals(List.of(10000, 28, 28), test.dimensions());
        IdxData data = IdxReader.read(source.splits().get(1).images(), source.splits().get(1).labels(), 10, conf);
        long[] thousandEach = new long[10];
        Arrays.fill(thousandEach, 1000);
        assertArrayEquals(thousandEach, data.perClass(10));
    }

    static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message should mention '" + part + "': " + message);
        }
    }
}
