package io.protospark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.model.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DL2PA experiment file end to end on CIFAR-100-format data written byte for byte: prepare, then train with
 * 100 estimated prototypes in 50 dimensions and dynamic assignment, through {@link Main} as the command runs.
 */
class Dl2paCifarTest {
    @TempDir
    Path tmp;

    /** Records of {@code <coarse><fine><1024 R><1024 G><1024 B>}, three per fine class, pixels derived from the class. */
    private static void writeCifar100(Path file, int perClass, long seed) throws Exception {
        Random rnd = new Random(seed);
        byte[] out = new byte[100 * perClass * 3074];
        int off = 0;
        for (int i = 0; i < perClass; i++) {
            for (int fine = 0; fine < 100; fine++) {
                out[off] = (byte) (fine / 5);
                out[off + 1] = (byte) fine;
                for (int p = 0; p < 3072; p++) {
                    out[off + 2 + p] = (byte) ((fine * 37 + (p % 97) * (fine % 7 + 1) + rnd.nextInt(20)) & 0xff);
                }
                off += 3074;
            }
        }
        Files.write(file, out);
    }

    @Test
    void preparesAndTrainsWithEstimatedPrototypesAndDynamicAssignment() throws Exception {
        Path raw = Files.createDirectories(tmp.resolve("cifar-100-binary"));
        writeCifar100(raw.resolve("train.bin"), 3, 1);
        writeCifar100(raw.resolve("test.bin"), 1, 2);
        Files.writeString(raw.resolve("fine_label_names.txt"),
                IntStream.range(0, 100).mapToObj(i -> "fine" + i).collect(Collectors.joining("\n")) + "\n");
        Files.writeString(raw.resolve("coarse_label_names.txt"),
                IntStream.range(0, 20).mapToObj(i -> "coarse" + i).collect(Collectors.joining("\n")) + "\n");
        Path data = tmp.resolve("data");
        Path run = tmp.resolve("run");
        String conf = Path.of("..", "conf", "dl2pa-cifar100-d50.conf").toAbsolutePath().normalize().toString();

        assertEquals(0, main("prepare", "--master", "local[2]", "--format", "cifar100", "--input", raw.toString(),
                "--output", data.toString()));
        assertEquals(0, main("train", "--master", "local[2]", "--conf", conf, "--data", data.toString(),
                "--run-dir", run.toString(), "--epochs", "2", "model.head.estimation.iterations=30",
                "spark.spark.ui.enabled=false"));

        int[] owned;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.ASSIGNMENT))) {
            owned = Npy.readIntVector(in, "assignment.npy");
        }
        assertEquals(100, Arrays.stream(owned).distinct().count(), "a permutation of the 100 prototypes");
        double[][] p;
        try (InputStream in = Files.newInputStream(run.resolve(TrainLoop.PROTOTYPES))) {
            p = Npy.readMatrix(in, "prototypes.npy");
        }
        assertEquals(100, p.length);
        assertEquals(50, p[0].length);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve(TrainLoop.METRICS));
        assertEquals(2, lines.size());
        for (int e = 0; e < lines.size(); e++) {
            JsonNode m = json.readTree(lines.get(e));
            assertEquals(300, m.get("train_examples").asLong(), lines.get(e));
            // the file starts from DL2PA's random assignment: epoch 1 trains with it, the first re-solve from the
            // network's features comes before epoch 2
            assertEquals(e > 0, m.has("assignment_changed"), lines.get(e));
            assertTrue(Double.isFinite(m.get("train_loss").asDouble()), lines.get(e));
        }
    }

    private static int main(String... args) {
        CommandRun r = CommandRun.of(args);
        System.out.print(r.out());
        if (r.code() != 0) {
            System.err.println(r.err());
        }
        return r.code();
    }
}
