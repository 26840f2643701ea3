package io.protospark.model.loss;

import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Cross-entropy with a floor inside the logarithm, as the MHE / CoMHE code computes it:
 * L_i = −Σ_k y_ik · log(p_ik + ε), p = softmax(z), averaged over the minibatch (ε = 1e-4 there).
 *
 * <p>The floor bounds the loss by −log ε and makes the gradient vanish for an example whose true class has
 * p ≪ ε. That is what keeps the CNN-9 recipe (SGD lr 0.1 on an unnormalised fc6 → score pair) finite: its first
 * steps drive the logits far apart, and the seed's own training log sits at loss −log(1e-4) ≈ 9.14 for about 2,000
 * iterations before weight decay brings it back. Without the floor the same steps reach an infinite loss.
 *
 * <p>Gradient with respect to the pre-softmax z, for q_k = y_k / (p_k + ε):
 * ∂L/∂z_j = p_j · (Σ_k q_k p_k − q_j). With ε = 0 and labels summing to one this is p − y, plain cross-entropy.
 */
public class EpsilonCrossEntropyLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    private final double epsilon;

    public EpsilonCrossEntropyLoss(@JsonProperty("epsilon") double epsilon) {
        if (!(epsilon >= 0) || epsilon >= 1) {
            throw new IllegalArgumentException("epsilon must be in [0, 1), found " + epsilon);
        }
        this.epsilon = epsilon;
    }

    /** The floor ε added to every probability before the logarithm. */
    public double getEpsilon() {
        return epsilon;
    }

    private INDArray probabilities(INDArray preOutput, IActivation activationFn) {
        return activationFn.getActivation(preOutput.dup(), true);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray p = probabilities(preOutput, activationFn);
        INDArray scores = Transforms.log(p.addi(epsilon), false).muli(labels).sum(true, 1).negi();
        if (mask != null) {
            scores.muli(mask.reshape(scores.shape()));
        }
        return scores;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / labels.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray p = probabilities(preOutput, activationFn);
        // dL/dp_k = -y_k / (p_k + eps); the activation's backprop takes it to dL/dz (softmax's Jacobian-vector product)
        INDArray dLdp = labels.div(p.add(epsilon)).negi();
        INDArray grad = activationFn.backprop(preOutput.dup(), dLdp).getFirst();
        if (mask != null) {
            grad.muliColumnVector(mask.reshape(mask.length(), 1).castTo(grad.dataType()));
        }
        return grad;
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "EpsilonCrossEntropy";
    }

    @Override
    public String toString() {
        return "EpsilonCrossEntropyLoss(epsilon=" + epsilon + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpsilonCrossEntropyLoss e && Double.compare(e.epsilon, epsilon) == 0;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(epsilon);
    }
}
