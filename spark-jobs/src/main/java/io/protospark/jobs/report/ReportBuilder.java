package io.protospark.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Lays out the report of one run: a summary (the run's configuration essentials, its final epoch, each evaluation's
 * headline numbers), the training curves, the prototypes' Gram matrix and one section per evaluation. Each chart is
 * drawn only when its data is there; otherwise the page says what is missing.
 */
final class ReportBuilder {
    /** Prototype Gram matrices larger than this are shown for their first prototypes only. */
    static final int GRAM_SHOWN = 200;
    /** The Gram summary (min / mean / max cosine) is computed over at most this many prototypes. */
    static final int GRAM_SUMMARISED = 2000;
    /** Confusion matrices are drawn up to this many classes (evaluate keeps none above it). */
    static final int CONFUSION_MAX = 100;
    private static final String NONE = "—";

    private final RunContents run;
    private final Html html;
    private final List<Charts.Chart> charts = new ArrayList<>();

    /** The page and its PNG files, by file name, in the page's order. */
    record Rendered(String html, Map<String, byte[]> pngs) {
    }

    private ReportBuilder(RunContents run) {
        this.run = run;
        this.html = new Html("protospark report: " + run.root().getName());
    }

    static Rendered build(RunContents run) {
        ReportBuilder b = new ReportBuilder(run);
        b.header();
        b.summary();
        b.training();
        b.prototypes();
        for (RunContents.Evaluation e : run.evaluations()) {
            b.evaluation(e);
        }
        if (run.evaluations().isEmpty()) {
            b.html.h2("Evaluations", "evaluations");
            b.html.missing("No evaluation: the run directory has no evaluation/<name>/evaluation.json (run "
                    + "`protospark evaluate --model " + run.root() + " --data ...`).");
        }
        // the charts are independent: render them on the common pool and this thread
        Map<String, byte[]> pngs = new LinkedHashMap<>();
        List<byte[]> rendered = b.charts.parallelStream().map(Charts.Chart::png).toList();
        for (int i = 0; i < rendered.size(); i++) {
            pngs.put(b.charts.get(i).file(), rendered.get(i));
        }
        return new Rendered(b.html.render(pngs), pngs);
    }

    // ---- summary ----

    private void header() {
        html.h1("Run " + run.root().getName());
        StringBuilder meta = new StringBuilder("Run directory ").append(run.root()).append("; report created ")
                .append(Instant.now());
        JsonNode build = run.provenance() == null ? null : run.provenance().get("build");
        if (build != null && build.isObject()) {
            String version = text(build, "protospark.version");
            String commit = text(build, "git.commit");
            if (version != null) {
                meta.append("; trained with protospark ").append(version)
                        .append(commit == null ? "" : " (commit " + commit + ")");
            }
        }
        html.meta(meta.toString());
    }

    private void summary() {
        html.h2("Summary", "summary");
        Config c = run.resolved();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("backbone", conf(c, "protospark.model.backbone")));
        String head = conf(c, "protospark.model.head.kind");
        rows.add(List.of("head", head));
        if ("fixed".equals(head)) {
            rows.add(List.of("prototypes", conf(c, "protospark.model.head.prototypes")));
        }
        rows.add(List.of("loss", conf(c, "protospark.model.head.loss")));
        rows.add(List.of("classes", conf(c, "protospark.model.classes")));
        rows.add(List.of("embedding dimension", conf(c, "protospark.model.embedding-dim")));
        rows.add(List.of("epochs (configured)", conf(c, "protospark.train.epochs")));
        rows.add(List.of("batch size per worker", conf(c, "protospark.train.batch-size")));
        rows.add(List.of("data", conf(c, "protospark.train.data")));
        rows.add(List.of("seed", conf(c, "protospark.seed")));
        JsonNode prov = run.provenance();
        if (prov != null) {
            String status = text(prov, "status");
            rows.add(List.of("status", status == null ? NONE : status));
            if (prov.get("seconds") != null && prov.get("seconds").isNumber()) {
                rows.add(List.of("training time (s)", String.format(Locale.ROOT, "%.1f",
                        prov.get("seconds").asDouble())));
            }
            JsonNode spark = prov.get("spark");
            if (spark != null && spark.get("workers") != null) {
                rows.add(List.of("workers", spark.get("workers").asText()));
            }
        } else {
            rows.add(List.of("status", "unknown (no provenance.json)"));
        }
        html.h3("Run");
        html.table("config", List.of("setting", "value"), rows);

        html.h3("Final epoch");
        List<JsonNode> epochs = run.epochs();
        if (epochs.isEmpty()) {
            html.missing("metrics.jsonl holds no epoch yet.");
        } else {
            JsonNode last = epochs.get(epochs.size() - 1);
            int best = 0;
            for (int i = 1; i < epochs.size(); i++) {
                if (num(epochs.get(i), "val_accuracy") > num(epochs.get(best), "val_accuracy")) {
                    best = i;
                }
            }
            double secondsSum = epochs.stream().mapToDouble(e -> num(e, "seconds")).filter(Double::isFinite).sum();
            html.table("final", List.of("epoch", "train loss", "val loss", "val accuracy", "best val accuracy (epoch)",
                    "learning rate", "examples/s", "epoch time total (s)"), List.of(List.of(
                    Integer.toString(last.path("epoch").asInt()), fmt(num(last, "train_loss")),
                    fmt(num(last, "val_loss")), fmt(num(last, "val_accuracy")),
                    fmt(num(epochs.get(best), "val_accuracy")) + " (" + epochs.get(best).path("epoch").asInt() + ")",
                    fmtG(num(last, "learning_rate")), String.format(Locale.ROOT, "%.1f",
                            num(last, "train_examples_per_second")), String.format(Locale.ROOT, "%.1f", secondsSum))));
        }

        html.h3("Evaluations");
        if (run.evaluations().isEmpty()) {
            html.missing("No evaluation yet.");
            return;
        }
        List<List<String>> evalRows = new ArrayList<>();
        for (RunContents.Evaluation e : run.evaluations()) {
            JsonNode j = e.json();
            JsonNode closed = j.get("closed_set");
            JsonNode open = j.get("open_set");
            JsonNode ver = j.get("verification");
            String ece = NONE;
            if (closed != null && closed.path("calibration").path("ece").isNumber()) {
                ece = fmt(closed.path("calibration").path("ece").asDouble());
            }
            StringBuilder openText = new StringBuilder();
            if (open != null) {
                open.fields().forEachRemaining(f -> {
                    if (f.getValue().isObject() && f.getValue().path("auroc").isNumber()) {
                        if (openText.length() > 0) {
                            openText.append("; ");
                        }
                        openText.append(f.getKey()).append(": AUROC ").append(fmt(f.getValue().path("auroc")
                                .asDouble())).append(", OSCR ").append(fmt(f.getValue().path("oscr").asDouble()));
                    }
                });
            }
            String verText = NONE;
            if (ver != null && ver.path("roc").path("accuracy_mean").isNumber()) {
                verText = "accuracy " + fmt(ver.path("roc").path("accuracy_mean").asDouble()) + " ± "
                        + fmt(ver.path("roc").path("accuracy_std").asDouble());
                if (ver.path("val").path("val_mean").isNumber()) {
                    verText += "; TAR " + fmt(ver.path("val").path("val_mean").asDouble()) + " at FAR "
                            + fmtG(ver.path("val").path("far_mean").asDouble());
                }
            }
            String examples = j.path("data").path("examples").isNumber()
                    ? Long.toString(j.path("data").path("examples").asLong()) : NONE;
            evalRows.add(List.of(e.name(), orNone(text(j, "kind")), orNone(text(j.path("model"), "which")),
                    orNone(text(j.path("data"), "split")), examples,
                    closed == null ? NONE : fmtOrNone(closed.get("top1")),
                    closed == null ? NONE : fmtOrNone(closed.get("top5")),
                    closed == null ? NONE : fmtOrNone(closed.get("balanced_accuracy")), ece,
                    openText.length() == 0 ? NONE : openText.toString(), verText));
        }
        html.table("evaluations", List.of("evaluation", "kind", "model", "split", "examples", "top-1", "top-5",
                "balanced accuracy", "ECE", "open set", "verification"), evalRows);
    }

    // ---- training ----

    private void training() {
        html.h2("Training", "training");
        List<JsonNode> epochs = run.epochs();
        if (epochs.isEmpty()) {
            html.missing("No training curves: metrics.jsonl holds no epoch yet.");
            return;
        }
        double[] x = epochs.stream().mapToDouble(e -> e.path("epoch").asDouble()).toArray();
        List<String> missing = new ArrayList<>();
        chartIfData(missing, "loss.png", "Loss", "loss", List.of(series("train loss", x, "train_loss"),
                series("val loss", x, "val_loss")), false, "loss");
        chartIfData(missing, "val-accuracy.png", "Validation accuracy", "accuracy",
                List.of(series("val accuracy", x, "val_accuracy")), false, "validation accuracy");
        List<Charts.Series> lr = new ArrayList<>();
        lr.add(series("learning rate (epoch start)", x, "learning_rate"));
        if (epochs.stream().anyMatch(e -> e.has("learning_rate_last"))) {
            lr.add(series("learning rate (epoch end)", x, "learning_rate_last"));
        }
        chartIfData(missing, "learning-rate.png", "Learning rate", "learning rate", lr, true, "learning rate");
        chartIfData(missing, "prototype-drift.png", "Prototype drift", "drift",
                List.of(series("prototype drift", x, "prototype_drift")), false, "prototype drift");
        if (epochs.stream().anyMatch(e -> e.has("assignment_changed"))) {
            chartIfData(missing, "assignment-changes.png", "Assignment changes per epoch", "classes reassigned",
                    List.of(series("classes reassigned", x, "assignment_changed")), false, "assignment changes");
        } else {
            missing.add("assignment changes (the run's assignment is static: metrics.jsonl has no "
                    + "assignment_changed)");
        }
        if (!missing.isEmpty()) {
            html.missing("Not shown: " + String.join("; ", missing) + ".");
        }
    }

    private void chartIfData(List<String> missing, String file, String title, String yLabel,
                             List<Charts.Series> series, boolean logY, String what) {
        List<Charts.Series> present = series.stream().filter(Charts.Series::hasData).toList();
        if (present.isEmpty()) {
            missing.add(what + " (no values in metrics.jsonl)");
            return;
        }
        image(Charts.lines(file, title, "epoch", yLabel, present, logY, run.epochs().size() <= 60));
    }

    private Charts.Series series(String name, double[] x, String key) {
        return new Charts.Series(name, x, run.epochs().stream().mapToDouble(e -> num(e, key)).toArray());
    }

    // ---- prototypes ----

    private void prototypes() {
        html.h2("Prototypes", "prototypes");
        double[][] p = run.prototypes();
        if (p == null) {
            html.missing("No prototype Gram matrix: the run directory has no prototypes.npy (the head has no fixed "
                    + "prototypes).");
            return;
        }
        int k = p.length;
        int d = k == 0 ? 0 : p[0].length;
        if (k < 2) {
            html.missing("prototypes.npy holds " + k + " prototype(s): no Gram matrix.");
            return;
        }
        double[][] unit = new double[Math.min(k, GRAM_SUMMARISED)][];
        for (int i = 0; i < unit.length; i++) {
            double n = Math.sqrt(Arrays.stream(p[i]).map(v -> v * v).sum());
            double[] row = new double[d];
            for (int j = 0; j < d; j++) {
                row[j] = n == 0 ? 0 : p[i][j] / n;
            }
            unit[i] = row;
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        long pairs = 0;
        int shown = Math.min(k, GRAM_SHOWN);
        double[][] gram = new double[shown][shown];
        for (int i = 0; i < unit.length; i++) {
            for (int j = i; j < unit.length; j++) {
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += unit[i][t] * unit[j][t];
                }
                if (i < shown && j < shown) {
                    gram[i][j] = dot;
                    gram[j][i] = dot;
                }
                if (i != j) {
                    min = Math.min(min, dot);
                    max = Math.max(max, dot);
                    sum += dot;
                    pairs++;
                }
            }
        }
        html.table("prototypes", List.of("prototypes K", "dimension d", "min cosine", "mean cosine", "max cosine",
                        "simplex bound -1/(K-1)"),
                List.of(List.of(Integer.toString(k), Integer.toString(d), fmt(min), fmt(sum / pairs), fmt(max),
                        fmt(-1.0 / (k - 1)))));
        if (unit.length < k) {
            html.missing("Cosines summarised over the first " + unit.length + " of " + k + " prototypes.");
        }
        String title = shown < k ? "Prototype cosines (first " + shown + " of " + k + ")" : "Prototype cosines";
        image(Charts.heatMap("prototype-gram.png", title, "prototype", "prototype", gram, -1, 1, true, "cosine"));
    }

    // ---- evaluations ----

    private void evaluation(RunContents.Evaluation e) {
        JsonNode j = e.json();
        String safe = e.name().replaceAll("[^A-Za-z0-9._-]", "_");
        html.h2("Evaluation " + e.name(), "evaluation-" + safe);
        JsonNode data = j.path("data");
        JsonNode model = j.path("model");
        html.meta("kind " + orNone(text(j, "kind")) + "; model " + orNone(text(model, "which")) + " ("
                + orNone(text(model, "decision_rule")) + " rule); data " + orNone(text(data, "path")) + ", split "
                + orNone(text(data, "split")) + (j.has("unknown_data") ? "; unknown data "
                + orNone(text(j.path("unknown_data"), "path")) + ", split "
                + orNone(text(j.path("unknown_data"), "split")) : ""));
        List<String> missing = new ArrayList<>();
        JsonNode closed = j.get("closed_set");
        if (closed != null && closed.isObject()) {
            closedSet(closed, safe, missing);
        } else if (j.get("verification") == null) {
            missing.add("closed-set charts (no closed_set)");
        }
        openSet(j.get("open_set"), safe, missing, closed != null);
        verification(j.get("verification"), safe, missing);
        embedding(j.get("embedding_sample"), safe, missing, closed != null);
        if (!missing.isEmpty()) {
            html.missing("Not shown: " + String.join("; ", missing) + ".");
        }
    }

    private void closedSet(JsonNode closed, String safe, List<String> missing) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("top-1", fmtOrNone(closed.get("top1"))));
        rows.add(List.of("top-" + closed.path("top5_k").asInt(5), fmtOrNone(closed.get("top5"))));
        rows.add(List.of("mean loss", fmtOrNone(closed.get("mean_loss"))));
        rows.add(List.of("balanced accuracy", fmtOrNone(closed.get("balanced_accuracy"))));
        JsonNode cal = closed.path("calibration");
        rows.add(List.of("ECE", cal.path("ece").isNumber() ? fmt(cal.path("ece").asDouble())
                : orNone(cal.path("ece").isTextual() ? cal.path("ece").asText() : null)));
        JsonNode rules = closed.get("rules");
        if (rules != null && rules.isObject()) {
            rules.fields().forEachRemaining(f -> rows.add(List.of("rule " + f.getKey(), fmtOrNone(f.getValue()))));
        }
        JsonNode lt = closed.get("long_tail");
        if (lt != null && lt.isObject()) {
            for (String g : List.of("head", "medium", "tail")) {
                rows.add(List.of(g + " classes accuracy", fmtOrNone(lt.get(g)) + " ("
                        + lt.path(g + "_classes").size() + " classes)"));
            }
        }
        html.table("closed-set", List.of("closed set", "value"), rows);

        JsonNode cm = closed.get("confusion_matrix");
        if (cm != null && cm.isArray() && cm.size() > 0 && cm.size() <= CONFUSION_MAX) {
            int k = cm.size();
            double[][] frac = new double[k][k];
            for (int i = 0; i < k; i++) {
                double rowSum = 0;
                for (int c = 0; c < k; c++) {
                    rowSum += cm.get(i).path(c).asDouble();
                }
                for (int c = 0; c < k; c++) {
                    // a class without examples is drawn grey (below the colour scale)
                    frac[i][c] = rowSum == 0 ? Double.NaN : cm.get(i).path(c).asDouble() / rowSum;
                }
            }
            image(Charts.heatMap(safe + "-confusion.png", "Confusion matrix (rows: true class)", "predicted class",
                    "true class", frac, 0, 1, false, "fraction of the true class"));
        } else {
            missing.add("confusion matrix (" + (cm != null && cm.isTextual() ? cm.asText() : "none in "
                    + "evaluation.json") + ")");
        }

        double[] acc = doubles(closed.get("per_class_accuracy"));
        if (acc.length > 0) {
            long[] counts = longs(closed.get("train_counts"));
            boolean byCount = counts.length == acc.length;
            Integer[] order = IntStream.range(0, acc.length).boxed().toArray(Integer[]::new);
            if (byCount) {
                Arrays.sort(order, Comparator.comparingLong((Integer c) -> -counts[c]).thenComparingInt(c -> c));
            }
            image(Charts.perClass(safe + "-per-class.png", byCount ? "Per-class accuracy by training examples"
                            : "Per-class accuracy", byCount ? "class (most training examples first)" : "class",
                    Arrays.stream(order).mapToInt(Integer::intValue).toArray(), acc, byCount ? counts : null));
            if (!byCount) {
                missing.add("the long-tail order (no train_counts: the data set's manifest counts no train split)");
            }
        } else {
            missing.add("per-class accuracy (none in evaluation.json)");
        }

        double[] edges = doubles(cal.get("edges"));
        double[] calAcc = doubles(cal.get("accuracy"));
        double[] calConf = doubles(cal.get("confidence"));
        long[] calCounts = longs(cal.get("counts"));
        if (calAcc.length > 0 && edges.length == calAcc.length + 1 && calConf.length == calAcc.length
                && calCounts.length == calAcc.length) {
            String title = "Reliability diagram (ECE " + fmt(cal.path("ece").asDouble()) + ")";
            image(Charts.reliability(safe + "-reliability.png", title, edges, calAcc, calConf, calCounts));
        } else {
            missing.add("reliability diagram (" + (cal.path("ece").isTextual() ? "calibration " + cal.path("ece")
                    .asText() : "no calibration bins in evaluation.json") + ")");
        }
    }

    private void openSet(JsonNode open, String safe, List<String> missing, boolean classification) {
        if (open == null || !open.isObject()) {
            if (classification) {
                missing.add("open-set ROC curves (no unknown examples were evaluated: give evaluate --unknown-data, "
                        + "or a data set with a test-unknown split)");
            }
            return;
        }
        List<Charts.Series> curves = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        open.fields().forEachRemaining(f -> {
            JsonNode s = f.getValue();
            if (s.isObject() && s.path("auroc").isNumber()) {
                rows.add(List.of(f.getKey(), fmt(s.path("auroc").asDouble()), fmtOrNone(s.get("oscr"))));
                double[] fpr = doubles(s.path("roc").get("fpr"));
                double[] tpr = doubles(s.path("roc").get("tpr"));
                if (fpr.length > 1 && fpr.length == tpr.length) {
                    curves.add(new Charts.Series(f.getKey() + " (AUROC " + fmt(s.path("auroc").asDouble()) + ")",
                            fpr, tpr));
                }
            }
        });
        html.table("open-set", List.of("open-set score", "AUROC", "OSCR"), rows);
        html.meta(open.path("known_examples").asLong() + " known and " + open.path("unknown_examples").asLong()
                + " unknown examples.");
        if (curves.isEmpty()) {
            missing.add("open-set ROC curves (evaluation.json holds no roc points)");
        } else {
            image(Charts.roc(safe + "-open-set-roc.png", "Open-set ROC (known = positive)",
                    "false positive rate (unknown accepted)", "true positive rate (known accepted)", curves));
        }
    }

    private void verification(JsonNode ver, String safe, List<String> missing) {
        if (ver == null || !ver.isObject()) {
            return;
        }
        JsonNode roc = ver.path("roc");
        JsonNode val = ver.path("val");
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("pairs", ver.path("pairs").asText(NONE)));
        rows.add(List.of("folds", ver.path("folds").asText(NONE)));
        rows.add(List.of("accuracy", fmtOrNone(roc.get("accuracy_mean")) + " ± " + fmtOrNone(roc.get("accuracy_std"))));
        rows.add(List.of("TAR at FAR " + fmtG(val.path("far_target").asDouble(Double.NaN)),
                fmtOrNone(val.get("val_mean")) + " ± " + fmtOrNone(val.get("val_std")) + " (FAR "
                        + fmtG(val.path("far_mean").asDouble(Double.NaN)) + ")"));
        html.table("verification", List.of("verification", "value"), rows);
        double[] fpr = doubles(roc.get("fpr"));
        double[] tpr = doubles(roc.get("tpr"));
        if (fpr.length > 1 && fpr.length == tpr.length) {
            image(Charts.roc(safe + "-verification-roc.png", "Verification ROC (mean over folds)",
                    "false accept rate", "true accept rate", List.of(new Charts.Series("accuracy "
                            + fmtOrNone(roc.get("accuracy_mean")), fpr, tpr))));
        } else {
            missing.add("verification ROC (no tpr / fpr in evaluation.json)");
        }
    }

    private void embedding(JsonNode sample, String safe, List<String> missing, boolean classification) {
        if (sample == null || !sample.isObject() || !sample.path("points").isArray()
                || sample.path("points").size() == 0) {
            if (classification) {
                missing.add("embedding sample (none in evaluation.json: features wider than 512, or an evaluation "
                        + "from before samples were kept)");
            }
            return;
        }
        Map<Integer, List<double[]>> byClass = new TreeMap<>();
        for (JsonNode p : sample.path("points")) {
            if (p.size() >= 3) {
                byClass.computeIfAbsent(p.get(2).asInt(), c -> new ArrayList<>())
                        .add(new double[] {p.get(0).asDouble(), p.get(1).asDouble()});
            }
        }
        Map<Integer, double[][]> arrays = new LinkedHashMap<>();
        byClass.forEach((c, l) -> arrays.put(c, l.toArray(new double[0][])));
        int dim = sample.path("dim").asInt();
        boolean pca = "pca".equals(sample.path("method").asText());
        String title = pca ? "Embedding sample: PCA of the " + dim + "-d features"
                : "Embedding sample: the " + dim + "-d features";
        image(Charts.scatter(safe + "-embedding.png", title + " (" + sample.path("points").size() + " points)",
                pca ? "PC 1" : "feature 1", pca ? "PC 2" : (dim >= 2 ? "feature 2" : "0"), arrays));
    }

    // ---- helpers ----

    private void image(Charts.Chart chart) {
        charts.add(chart);
        html.image(chart.file(), chart.title(), chart.width(), chart.height());
    }

    private static String conf(Config c, String path) {
        return c.hasPath(path) ? c.getValue(path).unwrapped().toString() : NONE;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n == null ? null : n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? NONE : s;
    }

    private static double num(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    static double[] doubles(JsonNode a) {
        if (a == null || !a.isArray()) {
            return new double[0];
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isNumber() ? a.get(i).asDouble() : Double.NaN;
        }
        return out;
    }

    static long[] longs(JsonNode a) {
        if (a == null || !a.isArray()) {
            return new long[0];
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : NONE;
    }

    static String fmtG(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4g", v) : NONE;
    }

    private static String fmtOrNone(JsonNode v) {
        return v != null && v.isNumber() ? fmt(v.asDouble()) : NONE;
    }
}
