package io.protospark.model.targets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import io.protospark.model.io.Npy;
import io.protospark.model.loss.LossChecks;
import io.protospark.model.loss.NirvanaMseLoss;
import io.protospark.model.loss.NirvanaOpenSetLoss;
import io.protospark.model.loss.SquaredCosineLoss;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.loss.TargetsRef;

/** Java serialisation of a target loss by reference: only the reference travels; the matrix comes back bit for bit. */
class TargetsByReferenceTest {
    @TempDir
    Path tmp;

    @AfterEach
    void forget() {
        TargetsStore.clear();
    }

    private static INDArray targets(int k, int d) {
        Nd4j.getRandom().setSeed(42);
        return Nd4j.randn(DataType.DOUBLE, k, d).muli(Math.E).addi(1e-17);
    }

    /** Writes the loss's targets as the training job does: named by SHA-256, and sets the reference. */
    private TargetsRef publish(TargetLoss loss) throws IOException {
        String sha = TargetsStore.sha256(loss);
        Path file = tmp.resolve(TargetsStore.fileName(sha));
        try (OutputStream out = Files.newOutputStream(file)) {
            TargetsStore.writeNpy(loss, out);
        }
        TargetsRef ref = new TargetsRef(file.toUri(), sha, loss.numClasses(), loss.dimension());
        loss.setTargetsRef(ref);
        return ref;
    }

    private static byte[] serialise(Object o) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(b)) {
            out.writeObject(o);
        }
        return b.toByteArray();
    }

    private static Object deserialise(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }

    private static void assertBitIdentical(INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        double[] e = expected.dup('c').data().asDouble();
        double[] a = actual.dup('c').data().asDouble();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Double.doubleToRawLongBits(e[i]), Double.doubleToRawLongBits(a[i]), "entry " + i);
        }
    }

    @Test
    void byReferenceOnlyTheReferenceTravelsAndTheMatrixComesBackBitForBit() throws Exception {
        INDArray t = targets(60, 50);
        NirvanaOpenSetLoss loss = new NirvanaOpenSetLoss(t, 48, true);
        byte[] inline = serialise(loss);
        TargetsRef ref = publish(loss);
        // the file is the .npy the project writes everywhere, and its name is its content's hash
        try (InputStream in = Files.newInputStream(Path.of(ref.uri()))) {
            assertBitIdentical(t, Nd4j.create(Npy.readMatrix(in, "targets")));
        }
        byte[] byRef = serialise(loss);
        assertTrue(inline.length > 60 * 50 * 8, "inline carries the matrix: " + inline.length);
        assertTrue(byRef.length < 2_000, "by reference: " + byRef.length + " bytes");

        TargetsStore.clear();
        long before = TargetsStore.loads();
        NirvanaOpenSetLoss back = (NirvanaOpenSetLoss) deserialise(byRef);
        assertEquals(before + 1, TargetsStore.loads(), "read from the file once");
        assertBitIdentical(t, back.getTargets());
        assertEquals(ref, back.targetsRef());
        assertEquals(48, back.margin(), 0.0);
        assertTrue(back.ramp());
        assertEquals(loss, back);
        // the per-JVM cache: another round's copy does not read the file again
        NirvanaOpenSetLoss again = (NirvanaOpenSetLoss) deserialise(byRef);
        assertEquals(before + 1, TargetsStore.loads());
        assertBitIdentical(t, again.getTargets());

        // and the loss computes the same thing as the original
        INDArray labels = Nd4j.eye(60).getRows(3, 7, 59).castTo(DataType.DOUBLE);
        INDArray f = Nd4j.randn(DataType.DOUBLE, 3, 50);
        assertEquals(loss.computeScore(labels, f, Activation.IDENTITY.getActivationFunction(), null, true),
                back.computeScore(labels, f, Activation.IDENTITY.getActivationFunction(), null, true), 0.0);
    }

    @Test
    void withoutAReferenceTheMatrixTravelsInlineAsBefore() throws Exception {
        INDArray t = targets(7, 5);
        SquaredCosineLoss loss = new SquaredCosineLoss(t);
        long before = TargetsStore.loads();
        SquaredCosineLoss back = (SquaredCosineLoss) deserialise(serialise(loss));
        assertBitIdentical(t, back.getTargets());
        assertNull(back.targetsRef());
        assertEquals(before, TargetsStore.loads(), "no file involved");
    }

    @Test
    void aTamperedFileIsRefusedNamingTheFileAndBothHashes() throws Exception {
        NirvanaMseLoss loss = new NirvanaMseLoss(targets(20, 10));
        TargetsRef ref = publish(loss);
        byte[] bytes = serialise(loss);
        Path file = Path.of(ref.uri());
        byte[] content = Files.readAllBytes(file);
        content[content.length - 3] ^= 0x40; // one bit of one target
        Files.write(file, content);
        TargetsStore.clear();
        IOException e = assertThrows(IOException.class, () -> deserialise(bytes));
        String found = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(content));
        assertTrue(e.getMessage().contains(ref.uri().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected SHA-256 " + ref.sha256()), e.getMessage());
        assertTrue(e.getMessage().contains("found " + found), e.getMessage());

        // truncated: the hash differs too, and the parse failure rides along
        Files.write(file, java.util.Arrays.copyOf(content, 100));
        IOException cut = assertThrows(IOException.class, () -> deserialise(bytes));
        assertTrue(cut.getMessage().contains(ref.sha256()) && cut.getMessage().contains(ref.uri().toString()),
                cut.getMessage());
    }

    @Test
    void aMissingFileIsRefusedNamingIt() throws Exception {
        NirvanaMseLoss loss = new NirvanaMseLoss(targets(20, 10));
        TargetsRef ref = publish(loss);
        byte[] bytes = serialise(loss);
        Files.delete(Path.of(ref.uri()));
        TargetsStore.clear();
        IOException e = assertThrows(IOException.class, () -> deserialise(bytes));
        assertTrue(e.getMessage().contains(ref.uri().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void aFileOfAnotherShapeIsRefusedEvenWithTheRightHash() throws Exception {
        NirvanaMseLoss other = new NirvanaMseLoss(targets(10, 20));
        String sha = TargetsStore.sha256(other);
        Path file = tmp.resolve(TargetsStore.fileName(sha));
        try (OutputStream out = Files.newOutputStream(file)) {
            TargetsStore.writeNpy(other, out);
        }
        TargetsRef wrong = new TargetsRef(file.toUri(), sha, 20, 10);
        IOException e = assertThrows(IOException.class, () -> TargetsStore.resolve(wrong));
        assertTrue(e.getMessage().contains(file.toUri().toString()) && e.getMessage().contains("10 x 20")
                && e.getMessage().contains("20 x 10"), e.getMessage());
    }

    @Test
    void replacingTheTargetsDropsTheReferenceAndAWrongShapeIsRefused() throws Exception {
        SquaredCosineLoss loss = new SquaredCosineLoss(targets(8, 4));
        TargetsRef ref = publish(loss);
        assertNotNull(loss.targetsRef());
        loss.assign(targets(8, 4), new int[] {1, 0, 2, 3, 4, 5, 6, 7});
        assertNull(loss.targetsRef(), "a permuted matrix never travels under the old file's reference");
        assertFalse(TargetsStore.sha256(loss).equals(ref.sha256()), "a new matrix, a new name");
        TargetsRef other = new TargetsRef(ref.uri(), ref.sha256(), 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.setTargetsRef(other));
        assertTrue(e.getMessage().contains(ref.uri().toString()) && e.getMessage().contains("4 x 8"), e.getMessage());
    }

    @Test
    void theStoreKnowsWhetherALossStillHoldsTheRememberedMatrix() throws Exception {
        SquaredCosineLoss loss = new SquaredCosineLoss(targets(8, 4));
        TargetsRef ref = publish(loss);
        assertFalse(TargetsStore.holds(loss, ref), "nothing remembered yet");
        TargetsStore.remember(ref, loss);
        loss.setTargets(loss.getTargets()); // re-applied, same content: the reference is dropped
        assertNull(loss.targetsRef());
        assertTrue(TargetsStore.holds(loss, ref));
        INDArray changed = loss.getTargets();
        changed.putScalar(3, 2, Math.nextUp(changed.getDouble(3, 2)));
        loss.setTargets(changed);
        assertFalse(TargetsStore.holds(loss, ref), "one ulp in one element is another matrix");
    }

    @Test
    void theCacheKeepsOnlyTheLatestMatrix() throws Exception {
        NirvanaMseLoss a = new NirvanaMseLoss(targets(6, 4));
        TargetsRef refA = publish(a);
        NirvanaMseLoss b = new NirvanaMseLoss(targets(6, 4).permute(0, 1).mul(-1));
        TargetsRef refB = publish(b);
        TargetsStore.clear();
        long before = TargetsStore.loads();
        TargetsStore.resolve(refA);
        TargetsStore.resolve(refA);
        assertEquals(before + 1, TargetsStore.loads());
        TargetsStore.resolve(refB); // the next assignment's matrix replaces the previous one
        TargetsStore.resolve(refA);
        assertEquals(before + 3, TargetsStore.loads(), "a superseded matrix is not kept");
    }

    @Test
    void badReferencesAreRefusedNamingTheValue() {
        URI u = URI.create("file:/tmp/t.npy");
        String sha = "0".repeat(64);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TargetsRef(u, "ABC", 2, 2))
                .getMessage().contains("ABC"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TargetsRef(URI.create("t.npy"), sha, 2, 2))
                .getMessage().contains("t.npy"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TargetsRef(u, sha, 0, 2))
                .getMessage().contains("0 x 2"));
    }

    @Test
    void theSavedConfigurationStillHoldsTheMatrixItself() throws Exception {
        INDArray t = targets(7, 5);
        NirvanaMseLoss loss = new NirvanaMseLoss(t);
        publish(loss);
        MultiLayerConfiguration conf = LossChecks.conf(loss, 3, Activation.IDENTITY);
        String json = conf.toJson();
        assertTrue(json.contains("float64le"), "inline in JSON");
        assertFalse(json.contains("targetsRef") || json.contains(tmp.toString()), "no reference in JSON");
        TargetLoss back = TargetLosses.find(new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(
                MultiLayerConfiguration.fromJson(json))).get(0);
        assertBitIdentical(t, back.getTargets());
        assertNull(back.targetsRef());
    }
}
