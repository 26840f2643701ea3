package io.protospark.model.io;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * protospark's {@code model.zip}: DL4J's {@code ModelSerializer} layout ({@code configuration.json},
 * {@code coefficients.bin}, {@code updaterState.bin}, each written with ND4J's own array format), plus the large arrays
 * of the configuration as {@code .npy} entries under {@link ArrayEntries#FOLDER} (float64, C order: NumPy reads them
 * as they are). Reading goes through {@code ModelSerializer} itself, with those entries resolved while the
 * configuration is parsed; a model.zip without such entries is exactly what {@code ModelSerializer} writes, and one
 * written by {@code ModelSerializer} reads unchanged.
 */
public final class ModelZip {
    /** Entries ModelSerializer reads with an ObjectInputStream (an input preprocessor, an old normalizer). */
    private static final List<String> JAVA_SERIALISED_ENTRIES = List.of("preprocessor.bin", "normalizer.bin");

    private static final String CONFIGURATION = "configuration.json";
    private static final String COEFFICIENTS = "coefficients.bin";
    private static final String NO_PARAMS = "noParams.marker";
    private static final String UPDATER = "updaterState.bin";

    private ModelZip() {
    }

    /**
     * Writes {@code net} (with its updater state when {@code withUpdater}) to {@code out}, which is flushed and left
     * open.
     */
    public static void write(ComputationGraph net, OutputStream out, boolean withUpdater) throws IOException {
        Map<String, INDArray> arrays = ArrayEntries.sink();
        String json = ArrayEntries.writing(arrays, () -> net.getConfiguration().toJson());
        ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush(); // the caller closes out
            }
        }, 1 << 16));
        // parameters, updater state and raw doubles deflate little: the fastest level keeps a face-scale model.zip
        // (2.7 GB of floats and doubles) from spending minutes in the compressor
        zip.setLevel(Deflater.BEST_SPEED);
        // ND4J writes an array element by element: buffer, or every float is a call into the compressor
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(zip, 1 << 16));
        zip.putNextEntry(new ZipEntry(CONFIGURATION));
        zip.write(json.getBytes(StandardCharsets.UTF_8));
        INDArray params = net.params();
        if (params != null) {
            zip.putNextEntry(new ZipEntry(COEFFICIENTS));
            Nd4j.write(params, data);
            data.flush();
        } else {
            zip.putNextEntry(new ZipEntry(NO_PARAMS));
        }
        if (withUpdater && net.getUpdater() != null) {
            INDArray state = net.getUpdater().getStateViewArray();
            if (state != null && state.length() > 0) {
                zip.putNextEntry(new ZipEntry(UPDATER));
                Nd4j.write(state, data);
                data.flush();
            }
        }
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue();
            if (a.rank() != 2) {
                throw new IllegalArgumentException(e.getKey() + ": only matrices are stored as entries, got rank "
                        + a.rank());
            }
            zip.putNextEntry(new ZipEntry(e.getKey()));
            INDArray rowMajor = a.castTo(DataType.DOUBLE);
            Npy.writeMatrix(zip, (int) a.rows(), (int) a.columns(), i -> rowMajor.getRow(i).toDoubleVector());
        }
        zip.finish();
        zip.close();
    }

    /**
     * Reads a model.zip from a stream (for instance a Hadoop FileSystem stream; not closed). It is copied to a
     * temporary file first, as {@code ModelSerializer} does with a stream.
     */
    public static org.deeplearning4j.nn.graph.ComputationGraph read(InputStream in, boolean withUpdater)
            throws IOException {
        Path tmp = Files.createTempFile("protospark-model-", ".zip");
        try {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return read(tmp.toFile(), withUpdater);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a model.zip file, with its updater state when {@code withUpdater}. */
    public static ComputationGraph read(File file, boolean withUpdater) throws IOException {
        try (ZipFile zip = new ZipFile(file)) {
            for (String entry : JAVA_SERIALISED_ENTRIES) {
                if (zip.getEntry(entry) != null) {
                    throw new IOException("model file " + file + " holds a " + entry + " entry, which DL4J's "
                            + "ModelSerializer would read by Java deserialisation (which can run code from the file);"
                            + " protospark never writes one, so it does not load such a file");
                }
            }
            ArrayEntries.Source source = entry -> {
                ZipEntry e = zip.getEntry(entry);
                if (e == null) {
                    throw new IOException("the configuration.json of the model.zip refers to the entry " + entry
                            + ", which the zip does not hold");
                }
                try (InputStream s = zip.getInputStream(e)) {
                    NpyMatrix m = NpyMatrix.readDoubles(s, "model.zip entry " + entry);
                    return Nd4j.create(m.doubles(), new long[]{m.rows(), m.cols()}, DataType.DOUBLE);
                }
            };
            try {
                return ArrayEntries.reading(source, () -> ModelSerializer.restoreComputationGraph(file, withUpdater));
            } catch (RuntimeException e) {
                // DL4J wraps what the JSON reader met in "not a valid ComputationGraphConfiguration": surface ours
                IOException ours = null;
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof IOException io && io.getMessage() != null && io.getMessage().contains("entry ")) {
                        ours = io; // the innermost: the message as thrown, without Jackson's prefix
                    }
                }
                if (ours != null) {
                    throw new IOException(ours.getMessage(), e);
                }
                throw e;
            }
        }
    }
}
