package io.protospark.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protospark.model.loss.NirvanaMseLoss;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** model.zip with large target matrices as .npy entries: written, read back exactly, and plain zips unchanged. */
class ModelZipTest {
    /** A 3 → d network whose loss holds a K×d target matrix; trained one step so the updater has state. */
    private static ComputationGraph net(int k, int d) {
        Nd4j.getRandom().setSeed(7);
        INDArray targets = Nd4j.randn(DataType.DOUBLE, k, d).addi(1e-17);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(0.01))
                .graphBuilder().addInputs("in")
                .addLayer("fc", new DenseLayer.Builder().nIn(3).nOut(d).activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new LossLayer.Builder(new NirvanaMseLoss(targets)).activation(Activation.IDENTITY)
                        .build(), "fc")
                .setOutputs("loss").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, k);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % k, 1);
        }
        net.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
        return net;
    }

    private static INDArray targetsOf(ComputationGraph net) {
        List<TargetLoss> losses = TargetLosses.find(net);
        assertEquals(1, losses.size());
        return losses.get(0).getTargets();
    }

    private static List<String> entries(byte[] zip) throws IOException {
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static String entryText(byte[] zip, String name) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(name)) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    private static byte[] write(ComputationGraph net) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelZip.write(net, out, true);
        return out.toByteArray();
    }

    @Test
    void largeTargetsBecomeAnNpyEntryAndComeBackBitForBit() throws IOException {
        // 400 x 400 doubles = 1.28 MB > 1 MiB
        ComputationGraph net = net(400, 400);
        byte[] zip = write(net);
        assertEquals(List.of("configuration.json", "coefficients.bin", "updaterState.bin",
                "protospark/arrays/targets-0.npy"), entries(zip));
        String json = entryText(zip, "configuration.json");
        assertFalse(json.contains("float64le"), "the matrix is not inline");
        assertTrue(json.contains("\"entry\" : \"protospark/arrays/targets-0.npy\"")
                || json.contains("\"entry\":\"protospark/arrays/targets-0.npy\""), json);
        assertTrue(json.length() < 20_000, "configuration.json is " + json.length() + " characters");

        ComputationGraph back = ModelZip.read(new ByteArrayInputStream(zip), true);
        assertEquals(targetsOf(net), targetsOf(back));
        assertEquals(net.params(), back.params());
        assertEquals(net.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
        assertEquals(net.outputSingle(x), back.outputSingle(x));
        // the entry is a NumPy file of the matrix as it is
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().endsWith(".npy")) {
                    NpyMatrix m = NpyMatrix.readDoubles(in, e.getName());
                    assertArrayEquals(targetsOf(net).data().asDouble(), m.doubles());
                }
            }
        }
    }

    /** A model file with an entry ModelSerializer would Java-deserialise is refused before DL4J opens it. */
    @Test
    void aJavaSerialisedEntryIsRefused() throws IOException {
        byte[] zip = write(net(10, 9));
        ByteArrayOutputStream tampered = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip));
             ZipOutputStream out = new ZipOutputStream(tampered)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(in.readAllBytes());
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            out.write(new byte[]{(byte) 0xac, (byte) 0xed, 0, 5});
            out.closeEntry();
        }
        IOException e = assertThrows(IOException.class,
                () -> ModelZip.read(new ByteArrayInputStream(tampered.toByteArray()), false));
        assertTrue(e.getMessage().contains("holds a preprocessor.bin entry"), e.getMessage());
        assertEquals(net(10, 9).params(), ModelZip.read(new ByteArrayInputStream(zip), false).params());
    }

    @Test
    void smallTargetsStayInlineAndTheZipIsWhatModelSerializerReads() throws IOException {
        ComputationGraph net = net(10, 9);
        byte[] zip = write(net);
        assertEquals(List.of("configuration.json", "coefficients.bin", "updaterState.bin"), entries(zip));
        assertTrue(entryText(zip, "configuration.json").contains("float64le"));
        ComputationGraph plain = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), true);
        assertEquals(targetsOf(net), targetsOf(plain));
        assertEquals(net.params(), plain.params());
        assertEquals(net.getUpdater().getStateViewArray(), plain.getUpdater().getStateViewArray());
        // and a zip ModelSerializer wrote reads through ModelZip
        ByteArrayOutputStream theirs = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, theirs, true);
        ComputationGraph back = ModelZip.read(new ByteArrayInputStream(theirs.toByteArray()), true);
        assertEquals(net.params(), back.params());
        assertEquals(targetsOf(net), targetsOf(back));
    }

    @Test
    void aMissingOrMisShapedEntryIsRefusedByName() throws IOException {
        byte[] zip = write(net(400, 400));
        // drop the .npy entry
        byte[] without = rewrite(zip, (name, bytes) -> name.endsWith(".npy") ? null : bytes);
        IOException missing = assertThrows(IOException.class, () -> ModelZip.read(new ByteArrayInputStream(without),
                false));
        assertTrue(messages(missing).contains("protospark/arrays/targets-0.npy") && messages(missing)
                .contains("does not hold"), messages(missing));
        // replace it with a 2 x 3 matrix
        byte[] wrong = rewrite(zip, (name, bytes) -> {
            if (!name.endsWith(".npy")) {
                return bytes;
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            Npy.writeMatrix(b, new double[][]{{1, 2, 3}, {4, 5, 6}});
            return b.toByteArray();
        });
        IOException shape = assertThrows(IOException.class, () -> ModelZip.read(new ByteArrayInputStream(wrong),
                false));
        assertTrue(messages(shape).contains("[2, 3]") && messages(shape).contains("[400,400]"), messages(shape));
        // the configuration alone cannot be read: it names the entry and says how to read it
        String json = entryText(zip, "configuration.json");
        Exception alone = assertThrows(Exception.class, () -> ComputationGraphConfiguration.fromJson(json));
        assertTrue(messages(alone).contains("ModelZip.read"), messages(alone));
    }

    @FunctionalInterface
    private interface Edit {
        byte[] apply(String name, byte[] bytes) throws IOException;
    }

    private static byte[] rewrite(byte[] zip, Edit edit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip));
             ZipOutputStream z = new ZipOutputStream(out)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] b = edit.apply(e.getName(), in.readAllBytes());
                if (b != null) {
                    z.putNextEntry(new ZipEntry(e.getName()));
                    z.write(b);
                }
            }
        }
        return out.toByteArray();
    }

    private static String messages(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c.getMessage()).append(" | ");
        }
        assertNotNull(t);
        return s.toString();
    }
}
