package io.protospark.model.loss;

import io.protospark.model.io.HostArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DSC open-set loss with outlier exposure ({@code NirvanaOpenset_loss}; absent from Cevikalp/dsc, taken from the
 * same author's Cevikalp/dudch modules/dchs.py). With d_ik = ‖f_i − s_k‖², margin m, the B known examples i and the
 * B_o outliers j of the minibatch, C classes and feature dimension D:
 * <ul>
 * <li>L_intra = (1/(2·B·D)) Σ_i d_{i,y_i}</li>
 * <li>L_inter = (1/(2·B·C)) Σ_i Σ_{k≠y_i} max(0, m + d_{i,y_i} − d_ik)</li>
 * <li>L_out = (1/(2·B·B_o)) Σ_i Σ_j max(0, m + d_{i,y_i} − ‖x_j − s_{y_i}‖²) — every outlier against every known</li>
 * <li>total = L_intra + L_inter + L_out (unit weights)</li>
 * </ul>
 * Optional ramp (the seed's noisy-label ablation): each hinge clamped to at most 60. The centres are the targets as
 * given, so their radius is the configured expand factor u (project decision; dudch uses u = C).
 *
 * <p><b>Label convention:</b> labels are N×C; a one-hot row is a known example of that class, an <b>all-zero row is an
 * outlier</b> (append the outlier-exposure images to the minibatch with zero label rows). Rows with a per-example mask
 * of 0 take no part at all.
 *
 * <p>The terms couple examples, so the per-example scores are an attribution: known row i carries N × (its intra,
 * inter and outlier-pair terms), outlier rows carry 0, where N is the number of rows of the minibatch (outliers and
 * masked rows included, as DL4J divides by it). DL4J's minibatch score is therefore exactly the total above, and the
 * gradient of the summed scores is N times the gradient of the total, which DL4J's division by N undoes.
 */
public class NirvanaOpenSetLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;
    /** The seed's ramp limit on each hinge. */
    public static final double RAMP_LIMIT = 60.0;

    @JsonProperty("margin")
    private double margin;
    @JsonProperty("ramp")
    private boolean ramp;

    /** For Jackson. */
    protected NirvanaOpenSetLoss() {
    }

    public NirvanaOpenSetLoss(INDArray centres, double margin) {
        this(centres, margin, false);
    }

    public NirvanaOpenSetLoss(INDArray centres, double margin, boolean ramp) {
        super(centres);
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("margin must be finite and >= 0, got " + margin);
        }
        this.margin = margin;
        this.ramp = ramp;
    }

    public double margin() {
        return margin;
    }

    public boolean ramp() {
        return ramp;
    }

    @Override
    protected double[] parameters() {
        return new double[] {margin, ramp ? 1 : 0};
    }

    /** The three terms of the loss (each ≥ 0) and the counts of known examples and outliers. */
    public record Terms(double intra, double inter, double out, int known, int outliers) {
        public double total() {
            return intra + inter + out;
        }
    }

    /** The three terms for a minibatch (identity activation, no mask). */
    public Terms terms(INDArray labels, INDArray f) {
        return compute(labels.castTo(DataType.DOUBLE), f.castTo(DataType.DOUBLE),
                getTargets(), null, false).terms;
    }

    private record Result(Terms terms, double[] rowScores, INDArray gradient) {
    }

    private double hinge(double h) {
        if (h <= 0) {
            return 0;
        }
        return ramp ? Math.min(h, RAMP_LIMIT) : h;
    }

    /** 1 where the hinge has slope 1. */
    private boolean active(double h) {
        return h > 0 && (!ramp || h < RAMP_LIMIT);
    }

    private Result compute(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        int n = (int) f.rows();
        int c = (int) t.rows();
        int dim = (int) f.columns();
        double[][] y = HostArrays.rows(labels);
        double[] m = mask == null ? null : mask.castTo(DataType.DOUBLE).reshape(n).toDoubleVector();
        int[] cls = new int[n]; // class, −1 outlier, −2 masked out
        int known = 0;
        int outliers = 0;
        for (int i = 0; i < n; i++) {
            if (m != null && m[i] == 0) {
                cls[i] = -2;
                continue;
            }
            int found = -1;
            for (int k = 0; k < c; k++) {
                if (y[i][k] != 0) {
                    if (found >= 0 || y[i][k] != 1) {
                        throw new IllegalArgumentException(name() + ": label row " + i
                                + " is neither one-hot nor all zero (outlier)");
                    }
                    found = k;
                }
            }
            cls[i] = found;
            if (found >= 0) {
                known++;
            } else {
                outliers++;
            }
        }
        double[] rowScores = new double[n];
        if (known == 0) {
            return new Result(new Terms(0, 0, 0, 0, outliers), rowScores,
                    gradient ? Nd4j.zeros(f.dataType(), n, dim) : null);
        }
        // squared distances of every row to every centre, N×C
        INDArray fd = f.castTo(DataType.DOUBLE);
        INDArray td = t.castTo(DataType.DOUBLE);
        INDArray fSq = fd.mul(fd).sum(true, 1);
        INDArray tSq = td.mul(td).sum(true, 1).reshape(1, c);
        double[][] dist = HostArrays.rows(fd.mmul(td.transpose()).muli(-2.0).addiColumnVector(fSq).addiRowVector(tSq));
        double a = 1.0 / (2.0 * known * dim);
        double b = 1.0 / (2.0 * known * c);
        double o = outliers == 0 ? 0 : 1.0 / (2.0 * known * outliers);
        int[] outIdx = new int[outliers];
        for (int i = 0, q = 0; i < n; i++) {
            if (cls[i] == -1) {
                outIdx[q++] = i;
            }
        }
        double intra = 0;
        double inter = 0;
        double out = 0;
        // gradient coefficients: g = Coef · [f rows] and centre terms, assembled below
        double[] selfCoef = new double[n];          // multiplies f_i
        double[][] centreCoef = new double[n][c];   // multiplies s_k
        for (int i = 0; i < n; i++) {
            int yi = cls[i];
            if (yi < 0) {
                continue;
            }
            double dy = Math.max(0, dist[i][yi]);
            double sIntra = a * dy;
            double sInter = 0;
            double sOut = 0;
            // intra: a·2(f_i − s_y)
            selfCoef[i] += 2 * a;
            centreCoef[i][yi] -= 2 * a;
            for (int k = 0; k < c; k++) {
                if (k == yi) {
                    continue;
                }
                double h = margin + dy - dist[i][k];
                sInter += b * hinge(h);
                if (active(h)) { // b·2(s_k − s_y)
                    centreCoef[i][k] += 2 * b;
                    centreCoef[i][yi] -= 2 * b;
                }
            }
            for (int j : outIdx) {
                double h = margin + dy - dist[j][yi];
                sOut += o * hinge(h);
                if (active(h)) { // o·2(f_i − s_y) on i, −o·2(x_j − s_y) on j
                    selfCoef[i] += 2 * o;
                    centreCoef[i][yi] -= 2 * o;
                    selfCoef[j] -= 2 * o;
                    centreCoef[j][yi] += 2 * o;
                }
            }
            intra += sIntra;
            inter += sInter;
            out += sOut;
            rowScores[i] = n * (sIntra + sInter + sOut);
        }
        INDArray grad = null;
        if (gradient) {
            INDArray self = Nd4j.createFromArray(selfCoef).reshape(n, 1);
            grad = fd.mulColumnVector(self).addi(Nd4j.create(centreCoef).mmul(td)).muli(n).castTo(f.dataType());
        }
        return new Result(new Terms(intra, inter, out, known, outliers), rowScores, grad);
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        Result r = compute(labels, f, t, mask, gradient);
        INDArray scores = Nd4j.createFromArray(r.rowScores()).castTo(f.dataType()).reshape(f.rows(), 1);
        return new Eval(scores, r.gradient());
    }

    @Override
    public String name() {
        return "NirvanaOpenSet";
    }
}
