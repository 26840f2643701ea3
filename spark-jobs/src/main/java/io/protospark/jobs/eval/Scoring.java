package io.protospark.jobs.eval;

import io.protospark.jobs.examples.Decoding;
import io.protospark.jobs.examples.Example;
import io.protospark.jobs.examples.Minibatches;
import io.protospark.jobs.spark.BroadcastNetwork;
import io.protospark.metrics.ClosedSetMetrics;
import io.protospark.model.head.Decision;
import io.protospark.model.head.NormalizedDense;
import io.protospark.model.io.HostArrays;
import io.protospark.model.net.FixedHead;
import io.protospark.model.net.HeadKind;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.net.OutputLoss;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The executors' side of {@code evaluate} and {@code embed}: each partition rebuilds the network from a broadcast and
 * turns its examples, in minibatches, into one {@link Scored} row each (or one {@link PairEmbedding} per verification
 * pair, or one {@link Embedded} row); the driver only gathers the rows and computes the metrics from them, so every
 * number of an evaluation is recomputable from the rows it writes.
 */
final class Scoring {
    private Scoring() {
    }

    /** An example to score: its id in the split, label (-1 for an unknown-class example) and pixels (CHW uint8). */
    record Input(long id, int label, byte[] pixels) implements Serializable {
    }

    /** A verification pair to embed: id, same identity or not, the protocol's fold, both images. */
    record PairInput(long id, boolean same, int fold, byte[] a, byte[] b) implements Serializable {
    }

    /**
     * One example's outcome. NaN (or null) where the head has no such quantity: softmax heads have logits, heads with
     * prototypes or targets ("centres") have the rules and distance scores; unknown examples have no loss.
     *
     * @param prediction the class under the model's decision rule (as training's evaluation predicts it)
     * @param top5       the five best classes (fewer when there are fewer classes), best first, ranked by the logits
     *                   (softmax heads with the dot rule) or by the decision rule's score, ties to the higher index
     *                   (scikit-learn's {@code top_k_accuracy_score})
     * @param loss       the loss of the example (the data term, without weight decay), NaN for unknown examples
     * @param maxSoftmax the largest softmax probability of the logits
     * @param softmaxArgmax the class of {@code maxSoftmax} (first of equal ones), -1 without logits
     * @param maxLogit   the largest logit
     * @param dscScore   the Deep Simplex Classifier's known-ness score max_k 1/(1 + ‖f − s_k‖²)
     * @param maxCosine  the largest cosine between the feature and a centre
     * @param rules      the predictions of the rules dot, cosine, euclidean, combined ({@link Decision} order); null
     *                   without centres
     * @param feature    the feature the head reads (the d-dimensional embedding), kept for a sample of the examples
     *                   (ids divisible by the sampling stride), else null
     */
    record Scored(long id, int label, boolean known, int prediction, int[] top5, double loss, double maxSoftmax,
                  int softmaxArgmax, double maxLogit, double dscScore, double maxCosine, int[] rules, float[] feature)
            implements Serializable {
    }

    /** A verification pair's two flip-summed embeddings (not normalised). */
    record PairEmbedding(long id, boolean same, int fold, double[] a, double[] b) implements Serializable {
    }

    /** One example's embedding at a layer. */
    record Embedded(long id, int label, float[] embedding) implements Serializable {
    }

    /** What the scoring needs to know of the model, decided on the driver from its settings. */
    record Head(HeadKind kind, boolean target, Decision rule, String feature, int classes) implements Serializable {
        static Head of(ModelSettings m) {
            return new Head(m.head().kind(), m.head().loss().isTarget(), m.head().decision(), Networks.feature(m),
                    m.classes());
        }

        /** Whether the network has logits (a softmax cross-entropy head). */
        boolean logits() {
            return !target;
        }

        /** Whether the head has centres the four decision rules measure against. */
        boolean centres() {
            return target || kind == HeadKind.FIXED || kind == HeadKind.NORMALIZED;
        }

        /** Whether the prediction is the argmax of the network's output, as training evaluates such a head. */
        boolean argmaxOutput() {
            return rule == Decision.DOT && !target;
        }
    }

    /** Scores every example; keeps the feature of those whose id is a multiple of {@code featureStride} (0: none). */
    static JavaRDD<Scored> score(JavaSparkContext jsc, BroadcastNetwork shipped, JavaRDD<Input> examples, Head head,
                                 Decoding decoding, int batchSize, boolean known, long featureStride) {
        return examples.mapPartitions(it -> {
            if (!it.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            ComputationGraph local = shipped.rebuild();
            Partition p = new Partition(local, head);
            List<Scored> out = new ArrayList<>();
            for (List<Input> batch : batches(it, batchSize)) {
                out.addAll(p.score(batch, decoding, known, featureStride));
            }
            return out.iterator();
        });
    }

    static JavaRDD<PairEmbedding> embedPairs(BroadcastNetwork shipped, JavaRDD<PairInput> pairs, String layer,
                                             Decoding decoding, int batchSize, boolean flipSum, int classes) {
        return pairs.mapPartitions(it -> {
            if (!it.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            ComputationGraph local = shipped.rebuild();
            List<PairEmbedding> out = new ArrayList<>();
            for (List<PairInput> batch : batches(it, batchSize)) {
                List<byte[]> a = batch.stream().map(PairInput::a).toList();
                List<byte[]> b = batch.stream().map(PairInput::b).toList();
                double[][] ea = embed(local, layer, a, decoding, flipSum, classes);
                double[][] eb = embed(local, layer, b, decoding, flipSum, classes);
                for (int i = 0; i < batch.size(); i++) {
                    PairInput pi = batch.get(i);
                    out.add(new PairEmbedding(pi.id(), pi.same(), pi.fold(), ea[i], eb[i]));
                }
            }
            return out.iterator();
        });
    }

    static JavaRDD<Embedded> embed(BroadcastNetwork shipped, JavaRDD<Input> examples, String layer, Decoding decoding,
                                   int batchSize, boolean flipSum, int classes) {
        return examples.mapPartitions(it -> {
            if (!it.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            ComputationGraph local = shipped.rebuild();
            List<Embedded> out = new ArrayList<>();
            for (List<Input> batch : batches(it, batchSize)) {
                double[][] e = embed(local, layer, batch.stream().map(Input::pixels).toList(), decoding, flipSum,
                        classes);
                for (int i = 0; i < batch.size(); i++) {
                    float[] f = new float[e[i].length];
                    for (int j = 0; j < f.length; j++) {
                        f[j] = (float) e[i][j];
                    }
                    out.add(new Embedded(batch.get(i).id(), batch.get(i).label(), f));
                }
            }
            return out.iterator();
        });
    }

    /** Activations of {@code layer} for the images, plus those of their horizontal flips when {@code flipSum}. */
    static double[][] embed(ComputationGraph net, String layer, List<byte[]> images, Decoding d, boolean flipSum,
                            int classes) {
        INDArray e = activations(net, layer, images, d, classes);
        if (flipSum) {
            List<byte[]> flipped = images.stream().map(p -> flip(p, d.channels(), d.height(), d.width())).toList();
            e = e.add(activations(net, layer, flipped, d, classes));
        }
        return HostArrays.rows(e);
    }

    private static INDArray activations(ComputationGraph net, String layer, List<byte[]> images, Decoding d,
                                        int classes) {
        List<Example> ex = images.stream().map(p -> new Example(0, p)).toList();
        DataSet ds = Minibatches.toDataSet(ex, 0, classes, d, null);
        INDArray a = net.feedForward(ds.getFeatures(), false).get(layer);
        if (a == null) {
            throw new IllegalArgumentException("the network has no layer '" + layer + "'; it has "
                    + java.util.Arrays.stream(net.getVertices()).map(v -> v.getVertexName()).toList());
        }
        return a.reshape(a.size(0), a.length() / a.size(0));
    }

    /** The horizontal mirror of a CHW uint8 image. */
    static byte[] flip(byte[] p, int channels, int height, int width) {
        byte[] out = new byte[p.length];
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < height; r++) {
                int row = (c * height + r) * width;
                for (int x = 0; x < width; x++) {
                    out[row + x] = p[row + width - 1 - x];
                }
            }
        }
        return out;
    }

    private static <T> Iterable<List<T>> batches(Iterator<T> it, int size) {
        return () -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public List<T> next() {
                List<T> b = new ArrayList<>(size);
                while (it.hasNext() && b.size() < size) {
                    b.add(it.next());
                }
                return b;
            }
        };
    }

    /** A partition's network and what it reads once: the centres, the head's weights, the output layer. */
    private static final class Partition {
        private final ComputationGraph net;
        private final Head head;
        private final INDArray centresT; // d x K double (a copy, so the GEMM reads it contiguously), or null
        private final double[][] centreRows; // the K centres, or null
        private final double[] centreNormSq; // ‖s_k‖², or null
        private final INDArray learnedW; // d x K double (learned head), or null
        private final INDArray learnedB; // 1 x K double, or null
        private final OutputLoss output;

        Partition(ComputationGraph net, Head head) {
            this.net = net;
            this.head = head;
            INDArray centres; // K x d double, or null
            if (head.target() || head.kind() == HeadKind.FIXED) {
                centres = FixedHead.prototypes(net).castTo(DataType.DOUBLE);
            } else if (head.kind() == HeadKind.NORMALIZED) {
                centres = NormalizedDense.normalizedRows(net.getLayer(Networks.HEAD).getParam("W"))
                        .castTo(DataType.DOUBLE);
            } else {
                centres = null;
            }
            if (centres != null) {
                centresT = centres.transpose().dup('c');
                centreRows = HostArrays.rows(centres);
                centreNormSq = new double[centreRows.length];
                for (int c = 0; c < centreRows.length; c++) {
                    centreNormSq[c] = dot(centreRows[c], centreRows[c]);
                }
            } else {
                centresT = null;
                centreRows = null;
                centreNormSq = null;
            }
            if (!head.target() && head.kind() == HeadKind.LEARNED) {
                learnedW = net.getLayer(Networks.HEAD).getParam("W").castTo(DataType.DOUBLE);
                learnedB = net.getLayer(Networks.HEAD).getParam("b").castTo(DataType.DOUBLE);
            } else {
                learnedW = null;
                learnedB = null;
            }
            output = OutputLoss.of(net);
        }

        List<Scored> score(List<Input> batch, Decoding d, boolean known, long featureStride) {
            int n = batch.size();
            List<Example> ex = batch.stream().map(i -> new Example(known ? i.label() : 0, i.pixels())).toList();
            DataSet ds = Minibatches.toDataSet(ex, known ? 1 : 0, head.classes(), d, null);
            Map<String, INDArray> acts = net.feedForward(ds.getFeatures(), false);
            INDArray f = acts.get(head.feature()).castTo(DataType.DOUBLE);
            double[][] fr = HostArrays.rows(f);
            double[][] logits = null;
            if (head.logits()) {
                INDArray z = learnedW != null ? f.mmul(learnedW).addiRowVector(learnedB)
                        : acts.get(Networks.HEAD).castTo(DataType.DOUBLE);
                logits = HostArrays.rows(z);
            }
            double[] loss = new double[n];
            java.util.Arrays.fill(loss, Double.NaN);
            if (known) {
                // the output layer's own loss of its input from this pass (a learned head's layer forms its logits)
                INDArray labels = ds.getLabels().castTo(acts.get(output.input()).dataType());
                loss = HostArrays.flat(output.scoreExamples(acts, labels));
            }
            Decision.Outcome outcome = null;
            double[][] cos = null;
            double[][] ruleScores = null;
            double[] dscScores = null;
            if (centreRows != null) {
                // one GEMM f·Sᵀ; the rules, cosines and distances follow from it and the norms, in double
                double[][] dots = HostArrays.rows(f.mmul(centresT));
                double[] fSq = new double[n];
                for (int i = 0; i < n; i++) {
                    fSq[i] = dot(fr[i], fr[i]);
                }
                outcome = Decision.fromDots(dots, fSq, centreNormSq);
                cos = cosines(dots, fSq, centreNormSq);
                if (!head.argmaxOutput()) {
                    ruleScores = ruleScores(dots, fSq, centreNormSq, cos, head.rule());
                }
                dscScores = dscScores(fr, outcome.predictions(Decision.EUCLIDEAN));
            }
            int[] predictions = head.argmaxOutput() ? ClosedSetMetrics.argmax(logits)
                    : outcome.predictions(head.rule());
            int k = Math.min(5, head.classes());
            int[][] byRule = null;
            if (outcome != null) {
                byRule = new int[Decision.values().length][];
                for (Decision r : Decision.values()) {
                    byRule[r.ordinal()] = outcome.predictions(r);
                }
            }
            List<Scored> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                double[] rank = ruleScores != null ? ruleScores[i] : logits[i];
                double maxSoftmax = Double.NaN;
                double maxLogit = Double.NaN;
                int softmaxArgmax = -1;
                if (logits != null) {
                    double[] p = ClosedSetMetrics.softmax(logits[i]);
                    softmaxArgmax = ClosedSetMetrics.argmax(p);
                    maxSoftmax = p[softmaxArgmax];
                    maxLogit = logits[i][ClosedSetMetrics.argmax(logits[i])];
                }
                double dsc = Double.NaN;
                double maxCos = Double.NaN;
                int[] rules = null;
                if (outcome != null) {
                    dsc = dscScores[i];
                    maxCos = cos[i][ClosedSetMetrics.argmax(cos[i])];
                    rules = new int[byRule.length];
                    for (int r = 0; r < byRule.length; r++) {
                        rules[r] = byRule[r][i];
                    }
                }
                Input in = batch.get(i);
                float[] feature = featureStride > 0 && in.id() % featureStride == 0 ? toFloat(fr[i]) : null;
                out.add(new Scored(in.id(), known ? in.label() : -1, known, predictions[i],
                        ClosedSetMetrics.predictedTopK(rank, k), loss[i], maxSoftmax, softmaxArgmax, maxLogit, dsc,
                        maxCos, rules, feature));
            }
            return out;
        }

        /**
         * cos(f_i, s_k) with max(‖f‖‖s‖, 1e-12) below, as {@link Decision} computes it, from f·s and the squared
         * norms.
         */
        private static double[][] cosines(double[][] dots, double[] fSq, double[] sSq) {
            double[][] cos = new double[dots.length][sSq.length];
            for (int i = 0; i < dots.length; i++) {
                double fn = Math.sqrt(fSq[i]);
                for (int k = 0; k < sSq.length; k++) {
                    cos[i][k] = dots[i][k] / Math.max(fn * Math.sqrt(sSq[k]), Decision.COSINE_EPS);
                }
            }
            return cos;
        }

        /**
         * DSC's known-ness score 1/(1 + ‖f − s‖²) to the nearest centre, the distance summed directly in double (not
         * from f·s, which loses precision near a centre of a large radius), as {@link Decision#openSetScore}.
         */
        private double[] dscScores(double[][] f, int[] nearest) {
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                double sum = 0;
                double[] s = centreRows[nearest[i]];
                for (int j = 0; j < s.length; j++) {
                    double diff = f[i][j] - s[j];
                    sum += diff * diff;
                }
                out[i] = 1.0 / (1.0 + sum);
            }
            return out;
        }

        private static float[] toFloat(double[] v) {
            float[] out = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                out[j] = (float) v[j];
            }
            return out;
        }

        private static double dot(double[] a, double[] b) {
            double sum = 0;
            for (int j = 0; j < a.length; j++) {
                sum += a[j] * b[j];
            }
            return sum;
        }

        /** Per-class scores under {@code rule}, larger better: f·s, cos, −‖f − s‖, −‖f − s‖/(2 + cos). */
        private static double[][] ruleScores(double[][] dots, double[] fSq, double[] sSq, double[][] cos,
                                             Decision rule) {
            if (rule == Decision.DOT) {
                return dots;
            }
            if (rule == Decision.COSINE) {
                return cos;
            }
            double[][] out = new double[dots.length][sSq.length];
            for (int i = 0; i < dots.length; i++) {
                for (int k = 0; k < sSq.length; k++) {
                    double dist = Math.sqrt(Math.max(0, fSq[i] + sSq[k] - 2 * dots[i][k]));
                    out[i][k] = rule == Decision.EUCLIDEAN ? -dist : -dist / (2 + cos[i][k]);
                }
            }
            return out;
        }
    }
}
