package io.protospark.jobs.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.io.Npy;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code protospark report} on a run directory built by hand (no training): a metrics.jsonl, the resolved defaults as
 * resolved.conf, a simplex as prototypes.npy, and two evaluation.json files (a classification with open-set scores,
 * and verification pairs) holding made-up numbers that the report must show.
 */
class ReportJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IMG = Pattern.compile(
            "<img src=\"([^\"]*)\" width=\"(\\d+)\" height=\"(\\d+)\" alt=\"[^\"]*\" data-file=\"([^\"]+)\">");
    private static final String PNG_URI = "data:image/png;base64,";
    /** The charts the hand-made run has data for. */
    private static final Set<String> CHARTS = new TreeSet<>(List.of("loss.png", "val-accuracy.png",
            "learning-rate.png", "prototype-drift.png", "assignment-changes.png", "prototype-gram.png",
            "final-test-confusion.png", "final-test-per-class.png", "final-test-reliability.png",
            "final-test-open-set-roc.png", "final-test-embedding.png", "final-lfw-verification-roc.png"));

    @TempDir
    Path tmp;
    Path run;

    @BeforeEach
    void writeRun() throws IOException {
        run = tmp.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("resolved.conf"), Configs.render(Configs.load(null, "test",
                List.of("model.classes=4", "model.embedding-dim=3", "train.epochs=3"))));
        StringBuilder metrics = new StringBuilder();
        double[][] rows = {{0.1, 1.20, 1.10, 0.50, 0, 3}, {0.05, 0.80, 0.90, 0.70, 0, 1}, {0.01, 0.60, 0.85, 0.75, 0, 0}};
        for (int e = 0; e < rows.length; e++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", e + 1);
            m.put("learning_rate", rows[e][0]);
            m.put("train_loss", rows[e][1]);
            m.put("val_loss", rows[e][2]);
            m.put("val_accuracy", rows[e][3]);
            m.put("seconds", 10.0);
            m.put("train_examples", 600);
            m.put("train_examples_per_second", 60.0);
            m.put("prototype_drift", rows[e][4]);
            m.put("assignment_changed", (int) rows[e][5]);
            m.put("assignment_mean_cosine", 0.9);
            metrics.append(JSON.writeValueAsString(m)).append('\n');
        }
        Files.writeString(run.resolve("metrics.jsonl"), metrics.toString());
        Files.writeString(run.resolve("provenance.json"), "{\"status\": \"completed\", \"seconds\": 31.5, "
                + "\"spark\": {\"workers\": 2}, \"build\": {\"protospark.version\": \"0.1.0-SNAPSHOT\"}}");
        // the regular simplex of 4 points in 3 dimensions: every cosine -1/3
        double[][] simplex = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
        try (OutputStream out = Files.newOutputStream(run.resolve("prototypes.npy"))) {
            Npy.writeMatrix(out, simplex);
        }
        writeEvaluation("final-test", classification());
        writeEvaluation("final-lfw", verification());
    }

    private void writeEvaluation(String name, Map<String, Object> evaluation) throws IOException {
        Path dir = run.resolve("evaluation").resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("evaluation.json"), JSON.writeValueAsString(evaluation));
    }

    private static Map<String, Object> classification() {
        Map<String, Object> closed = new LinkedHashMap<>();
        closed.put("examples", 16);
        closed.put("top1", 0.8125);
        closed.put("top5", 1.0);
        closed.put("top5_k", 4);
        closed.put("mean_loss", 0.4321);
        closed.put("balanced_accuracy", 0.8021);
        closed.put("per_class_accuracy", List.of(1.0, 0.75, 0.8333, 0.625));
        closed.put("support", List.of(2, 4, 6, 4));
        closed.put("confusion_matrix", List.of(List.of(2, 0, 0, 0), List.of(1, 3, 0, 0), List.of(0, 1, 5, 0),
                List.of(0, 0, 1, 3)));
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("ece", 0.0456);
        cal.put("n", 16);
        cal.put("bins", 3);
        cal.put("edges", List.of(0.0, 1.0 / 3, 2.0 / 3, 1.0));
        cal.put("counts", List.of(0, 6, 10));
        cal.put("accuracy", java.util.Arrays.asList(null, 0.5, 1.0));
        cal.put("confidence", java.util.Arrays.asList(null, 0.55, 0.9));
        closed.put("calibration", cal);
        closed.put("rules", Map.of("dot", 0.8125, "cosine", 0.75));
        closed.put("long_tail", Map.of("head", 0.9, "medium", 0.8, "tail", 0.6, "head_classes", List.of(0),
                "medium_classes", List.of(1, 2), "tail_classes", List.of(3)));
        closed.put("train_counts", List.of(500, 40, 60, 10));
        Map<String, Object> open = new LinkedHashMap<>();
        open.put("known_examples", 16);
        open.put("unknown_examples", 8);
        open.put("closed_set_accuracy", 0.8125);
        open.put("max_cosine", Map.of("auroc", 0.9375, "oscr", 0.8444, "auroc_oscr_mean", 0.89095,
                "roc", Map.of("fpr", List.of(0.0, 0.0, 0.25, 1.0), "tpr", List.of(0.0, 0.5, 0.9, 1.0))));
        open.put("dsc_score", Map.of("auroc", 0.8811, "oscr", 0.7999, "auroc_oscr_mean", 0.8405,
                "roc", Map.of("fpr", List.of(0.0, 0.25, 0.5, 1.0), "tpr", List.of(0.0, 0.6, 0.8, 1.0))));
        List<List<Double>> points = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int label = i % 4;
            points.add(List.of(Math.cos(label * Math.PI / 2) + 0.01 * i, Math.sin(label * Math.PI / 2), (double) label));
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("command", "evaluate");
        e.put("model", Map.of("which", "final", "decision_rule", "dot"));
        e.put("data", Map.of("path", "file:/data/x", "split", "test", "examples", 16));
        e.put("kind", "open-set");
        e.put("closed_set", closed);
        e.put("open_set", open);
        e.put("embedding_sample", Map.of("method", "features", "dim", 2, "points", points));
        return e;
    }

    private static Map<String, Object> verification() {
        Map<String, Object> roc = new LinkedHashMap<>();
        roc.put("accuracy_mean", 0.9650);
        roc.put("accuracy_std", 0.0120);
        roc.put("fpr", List.of(0.0, 0.01, 0.1, 0.5, 1.0));
        roc.put("tpr", List.of(0.0, 0.6, 0.9, 0.99, 1.0));
        Map<String, Object> val = new LinkedHashMap<>();
        val.put("far_target", 0.001);
        val.put("val_mean", 0.7777);
        val.put("val_std", 0.05);
        val.put("far_mean", 0.0011);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model", Map.of("which", "final"));
        e.put("data", Map.of("path", "file:/data/lfw", "split", "lfw", "examples", 600));
        e.put("kind", "verification");
        e.put("verification", Map.of("pairs", 600, "folds", 10, "roc", roc, "val", val));
        return e;
    }

    private static ReportJob.Result report(Path runDir, Path out) {
        return ReportJob.run(new ReportJob.Settings(runDir.toUri(), out == null ? null : out.toUri()),
                new Configuration());
    }

    @Test
    void rendersEveryChartInlineAndAsFilesWithTheNumbersGiven() throws Exception {
        ReportJob.Result r = report(run, null);
        Path dir = run.resolve("report");
        Path html = dir.resolve(ReportJob.HTML);
        assertEquals(html.toUri().getPath(), r.html().getPath());
        assertEquals(CHARTS.size(), r.charts());
        assertTrue(r.seconds() < 10, "report took " + r.seconds() + " s");
        String page = Files.readString(html);

        Matcher m = IMG.matcher(page);
        Set<String> files = new TreeSet<>();
        while (m.find()) {
            assertTrue(m.group(1).startsWith(PNG_URI), "inline PNG: " + m.group(1).substring(0, 40));
            byte[] png = Base64.getDecoder().decode(m.group(1).substring(PNG_URI.length()));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertNotNull(img, m.group(4) + " is an image ImageIO reads");
            assertEquals(Integer.parseInt(m.group(2)), img.getWidth(), m.group(4));
            assertEquals(Integer.parseInt(m.group(3)), img.getHeight(), m.group(4));
            assertArrayEquals(Files.readAllBytes(dir.resolve(m.group(4))), png, m.group(4) + " beside the page");
            files.add(m.group(4));
        }
        assertEquals(CHARTS, files);
        assertEquals(page.split("<img ", -1).length - 1, files.size(), "every <img> is an inline PNG");
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> written = s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
            Set<String> expected = new TreeSet<>(CHARTS);
            expected.add(ReportJob.HTML);
            assertEquals(expected, written);
        }
        // self-contained: nothing fetched
        assertFalse(page.contains("<script"), "no script");
        assertFalse(page.contains("<link"), "no style sheet or font");
        assertFalse(Pattern.compile("(src|href)=\"(?!data:)").matcher(page).find(), "no external reference");

        // summary: configuration essentials, final epoch, each evaluation's headline numbers
        for (String cell : List.of("<td>backbone</td><td>small-cnn</td>", "<td>head</td><td>fixed</td>",
                "<td>classes</td><td class=\"num\">4</td>", "<td>epochs (configured)</td><td class=\"num\">3</td>",
                "<td>status</td><td>completed</td>", "<td class=\"num\">0.6000</td>", "<td class=\"num\">0.8500</td>",
                "<td class=\"num\">0.7500</td>", "<td class=\"num\">0.8125</td>", "<td class=\"num\">0.8021</td>",
                "<td class=\"num\">0.0456</td>", "max_cosine: AUROC 0.9375, OSCR 0.8444",
                "dsc_score: AUROC 0.8811, OSCR 0.7999", "accuracy 0.9650 ± 0.0120; TAR 0.7777 at FAR 0.001100",
                // closed-set table, prototype cosines (the simplex's -1/3), verification table
                "<td>mean loss</td><td class=\"num\">0.4321</td>", "<td>rule cosine</td><td class=\"num\">0.7500</td>",
                "<td>tail classes accuracy</td><td>0.6000 (1 classes)</td>", "<td class=\"num\">-0.3333</td>",
                "<td>accuracy</td><td class=\"num\">0.9650 ± 0.0120</td>",
                "alt=\"Reliability diagram (ECE 0.0456)\"")) {
            assertTrue(page.contains(cell), "report.html holds " + cell);
        }
        try (Stream<Path> s = Files.list(run)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no hidden directory left");
        }
    }

    @Test
    void saysWhatIsMissingAndReplacesAnEarlierReportAtomically() throws Exception {
        report(run, null);
        // a run without prototypes or evaluations, a static assignment, then the report again in the same place
        Files.delete(run.resolve("prototypes.npy"));
        deleteTree(run.resolve("evaluation"));
        Files.writeString(run.resolve("metrics.jsonl"), "{\"epoch\": 1, \"learning_rate\": 0.1, \"train_loss\": 1.0, "
                + "\"val_loss\": 1.1, \"val_accuracy\": 0.4, \"seconds\": 3.0, \"train_examples\": 100, "
                + "\"train_examples_per_second\": 33.3, \"prototype_drift\": 0.0}\n");
        ReportJob.Result r = report(run, null);
        assertEquals(4, r.charts());
        String page = Files.readString(run.resolve("report").resolve(ReportJob.HTML));
        assertTrue(page.contains("no prototypes.npy"), "says the prototypes are missing");
        assertTrue(page.contains("No evaluation"), "says the evaluations are missing");
        assertTrue(page.contains("assignment changes (the run&#39;s assignment is static"), page);
        try (Stream<Path> s = Files.list(run.resolve("report"))) {
            assertEquals(5, s.count(), "only the new report's files: report.html and 4 PNGs");
        }
        try (Stream<Path> s = Files.list(run)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no hidden directory left");
        }
    }

    @Test
    void writesToOutAndRunsFromTheCommandLine() throws Exception {
        Path out = tmp.resolve("elsewhere").resolve("my-report");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = io.protospark.jobs.Main.execute(new String[] {"report", "--run-dir", run.toString(), "--out",
                out.toString()}, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String printed = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains(out.resolve(ReportJob.HTML).toString()), printed);
        assertTrue(printed.matches("(?s)report .*report\\.html \\(12 charts; PNG files beside it\\) in [0-9.]+ s\\s*"),
                printed);
        assertTrue(Files.exists(out.resolve("final-test-confusion.png")));
        assertFalse(Files.exists(run.resolve("report")), "--out replaces the default place");
    }

    @Test
    void refusesWhatIsNotARunNamingThePath() throws Exception {
        Path missing = tmp.resolve("no-such-run");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> report(missing, null));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"),
                e.getMessage());
        assertFalse(Files.exists(missing), "nothing created");

        Path notRun = tmp.resolve("not-a-run");
        Files.createDirectories(notRun);
        Files.writeString(notRun.resolve("metrics.jsonl"), "");
        e = assertThrows(IllegalArgumentException.class, () -> report(notRun, null));
        assertTrue(e.getMessage().contains(notRun.toString()) && e.getMessage().contains("resolved.conf")
                && e.getMessage().contains("not a protospark run directory"), e.getMessage());

        Files.delete(run.resolve("metrics.jsonl"));
        e = assertThrows(IllegalArgumentException.class, () -> report(run, null));
        assertTrue(e.getMessage().contains(run.resolve("metrics.jsonl").toString()), e.getMessage());
        assertFalse(Files.exists(run.resolve("report")), "no report written");

        SettingsException s = assertThrows(SettingsException.class,
                () -> ReportJob.Settings.from(Configs.load(null, "test", List.of())));
        assertTrue(s.getMessage().contains("protospark.report.run-dir"), s.getMessage());
    }

    /** The page in a real headless browser: every image decodes (naturalWidth > 0) with no network. */
    @Test
    void everyImageLoadsInHeadlessChromium() throws Exception {
        Path chromium = Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium is not installed");
        report(run, null);
        String page = Files.readString(run.resolve("report").resolve(ReportJob.HTML));
        String probe = "<script>window.addEventListener('load', function () {"
                + " var ok = 0; for (var i = 0; i < document.images.length; i++) {"
                + " var im = document.images[i]; if (im.complete && im.naturalWidth > 0) { ok++; } }"
                + " document.body.setAttribute('data-loaded', ok + '/' + document.images.length); });</script>";
        Path copy = tmp.resolve("probe.html");
        Files.writeString(copy, page.replace("</body>", probe + "\n</body>"));
        ProcessBuilder pb = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + tmp.resolve("chromium-profile"),
                "--virtual-time-budget=5000", "--dump-dom", copy.toUri().toString());
        pb.redirectError(tmp.resolve("chromium.err").toFile());
        pb.redirectOutput(tmp.resolve("chromium.out").toFile());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s");
        }
        String text = Files.readString(tmp.resolve("chromium.out"));
        Matcher loaded = Pattern.compile("data-loaded=\"(\\d+)/(\\d+)\"").matcher(text);
        assertTrue(loaded.find(), "no load mark in the DOM; chromium said: "
                + Files.readString(tmp.resolve("chromium.err")));
        assertEquals(Integer.toString(CHARTS.size()), loaded.group(2), "images on the page");
        assertEquals(loaded.group(2), loaded.group(1), "images loaded");
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
