import io.protospark.metrics.*;
import java.nio.file.*;
import java.util.*;

public class Compare {
    static Map<String, double[]> vec = new HashMap<>();
    static Map<String, double[][]> mat = new HashMap<>();
    static StringBuilder out = new StringBuilder();

    static void put(String k, double... v) {
        out.append(k).append(' ').append(v.length);
        for (double x : v) out.append(' ').append(Double.toString(x));
        out.append('\n');
    }
    static int[] ints(String k) { return Arrays.stream(vec.get(k)).mapToInt(d -> (int) d).toArray(); }
    static boolean[] bools(String k) { double[] d = vec.get(k); boolean[] b = new boolean[d.length]; for (int i = 0; i < d.length; i++) b[i] = d[i] != 0; return b; }
    static long[] longs(String k) { return Arrays.stream(vec.get(k)).mapToLong(d -> (long) d).toArray(); }

    public static void main(String[] a) throws Exception {
        for (String line : Files.readAllLines(Path.of(a[0]))) {
            String[] t = line.trim().split("\\s+");
            if (t[1].equals("v")) {
                int n = Integer.parseInt(t[2]);
                double[] v = new double[n];
                for (int i = 0; i < n; i++) v[i] = Double.parseDouble(t[3 + i]);
                vec.put(t[0], v);
            } else {
                int r = Integer.parseInt(t[2]), c = Integer.parseInt(t[3]);
                double[][] m = new double[r][c];
                for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i][j] = Double.parseDouble(t[4 + i * c + j]);
                mat.put(t[0], m);
            }
        }
        for (String s : new String[] {"cont", "ties"}) {
            double[][] sc = mat.get("scores_" + s);
            int[] y = ints("labels");
            put("top1_" + s, ClosedSetMetrics.topKAccuracy(sc, y, 1));
            put("top5_" + s, ClosedSetMetrics.topKAccuracy(sc, y, 5));
            ConfusionMatrix cm = ClosedSetMetrics.confusionMatrix(sc, y);
            put("balanced_" + s, cm.balancedAccuracy());
            put("per_class_" + s, cm.perClassAccuracy());
            long[][] c = cm.counts();
            double[] flat = new double[c.length * c.length];
            for (int i = 0; i < c.length; i++) for (int j = 0; j < c.length; j++) flat[i * c.length + j] = c[i][j];
            put("confusion_" + s, flat);
            Calibration cal = ClosedSetMetrics.calibrationFromLogits(sc, y, 15);
            put("ece_" + s, cal.ece());
            put("ece_counts_" + s, Arrays.stream(cal.counts()).asDoubleStream().toArray());
            LongTailAccuracy lt = ClosedSetMetrics.longTailAccuracy(y, ClosedSetMetrics.argmax(sc), longs("train_counts"));
            put("longtail_" + s, lt.head(), lt.medium(), lt.tail());
        }
        for (String s : new String[] {"cont", "ties"}) {
            double[] sc = vec.get("auc_scores_" + s);
            boolean[] p = bools("auc_pos");
            put("auroc_" + s, Auroc.auroc(sc, p));
            RocCurve roc = Auroc.roc(sc, p);
            put("roc_fpr_" + s, roc.fpr());
            put("roc_tpr_" + s, roc.tpr());
            put("roc_thr_" + s, Arrays.copyOfRange(roc.thresholds(), 1, roc.thresholds().length));
        }
        for (String s : new String[] {"cont", "ties"}) {
            OscrResult r = Oscr.fromScores(mat.get("pred_k_" + s), ints("oscr_labels"), mat.get("pred_u_" + s));
            put("oscr_" + s, r.oscr());
        }
        for (String s : new String[] {"a", "b"}) {
            double[][] e = mat.get("emb_" + s);
            boolean[] same = bools("issame_" + s);
            double[][] e1 = new double[e.length / 2][], e2 = new double[e.length / 2][];
            for (int i = 0; i < e1.length; i++) { e1[i] = e[2 * i]; e2[i] = e[2 * i + 1]; }
            put("dist_" + s, Verification.squaredDistances(e1, e2));
            put("norm_" + s, Arrays.stream(Verification.l2normalize(mat.get("raw_" + s))).flatMapToDouble(Arrays::stream).toArray());
            VerificationResult r = Verification.evaluateInterleaved(e, same, 10);
            put("ver_acc_" + s, r.roc().foldAccuracy());
            put("ver_acc_mean_" + s, r.roc().accuracyMean(), r.roc().accuracyStd());
            put("ver_tpr_" + s, r.roc().tpr());
            put("ver_fpr_" + s, r.roc().fpr());
            put("ver_val_" + s, r.val().valMean(), r.val().valStd(), r.val().farMean());
            put("ver_val_thr_" + s, r.val().foldThreshold());
        }
        Files.writeString(Path.of(a[1]), out);
    }
}
