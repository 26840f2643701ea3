package io.protospark.model.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DSC hinge variant ({@code NirvanaHinge}): L = (1/(4B)) Σ_i max(0, ‖f_i − s_{y_i}‖² − m), with the margin
 * m = ‖s_0 − s_1‖ / 10 by default — a distance compared against squared distances, as in the seed. Per-example score
 * max(0, ‖f_i − s_{y_i}‖² − m)/4. The margin is fixed when the loss is built; replacing the targets keeps it (the
 * centres are equidistant, so a permutation does not change ‖s_0 − s_1‖).
 */
public class NirvanaHingeLoss extends TargetLoss {
    private static final long serialVersionUID = 1L;

    @JsonProperty("margin")
    private double margin;

    /** For Jackson. */
    protected NirvanaHingeLoss() {
    }

    /** Margin ‖s_0 − s_1‖/10 from the given centres (K ≥ 2). */
    public NirvanaHingeLoss(INDArray centres) {
        this(centres, defaultMargin(centres));
    }

    public NirvanaHingeLoss(INDArray centres, double margin) {
        super(centres);
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("margin must be finite and >= 0, got " + margin);
        }
        this.margin = margin;
    }

    /** The seed's margin ‖s_0 − s_1‖ / 10. */
    public static double defaultMargin(INDArray centres) {
        if (centres.rows() < 2) {
            throw new IllegalArgumentException("the default margin needs at least two centres");
        }
        return centres.getRow(0).sub(centres.getRow(1)).norm2Number().doubleValue() / 10.0;
    }

    public double margin() {
        return margin;
    }

    @Override
    protected double[] parameters() {
        return new double[] {margin};
    }

    @Override
    protected Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient) {
        INDArray diff = f.sub(gather(labels, t));
        INDArray excess = diff.mul(diff).sum(true, 1).subi(margin);
        INDArray active = excess.gt(0.0).castTo(f.dataType());
        INDArray scores = excess.mul(active).divi(4.0);
        return new Eval(scores, gradient ? diff.mulColumnVector(active).divi(2.0) : null);
    }

    @Override
    public String name() {
        return "NirvanaHinge";
    }
}
