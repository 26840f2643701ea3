package io.protospark.model.sphere;

import io.protospark.model.energy.NeuronRows;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * SphereNet's orthogonality penalty on a SphereConv layer: ½·λ·‖WᵀW − I‖²_F, W the filters as columns (λ = 2e-4 in
 * the seed). Its gradient with respect to the filter matrix is 2λ·W(WᵀW − I); it is added to the data gradient
 * before the updater, like DL4J's L2. It is zero exactly when the filters are orthonormal.
 *
 * <p>Stateless and JSON-serialisable (Jackson, with the network configuration), so Spark parameter averaging needs
 * nothing special.
 */
public final class OrthogonalityPenalty implements Regularization {
    private static final long serialVersionUID = 1L;

    @JsonProperty("lambda")
    private double lambda;
    @JsonProperty("neurons")
    private int neurons;

    /** For Jackson. */
    private OrthogonalityPenalty() {
    }

    /** @param neurons number of filters (output channels / units) of the layer */
    public OrthogonalityPenalty(double lambda, int neurons) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("orthogonality lambda must be finite and >= 0, found " + lambda);
        }
        if (neurons <= 0) {
            throw new IllegalArgumentException("neurons must be positive, found " + neurons);
        }
        this.lambda = lambda;
        this.neurons = neurons;
    }

    public double lambda() {
        return lambda;
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.BEFORE_UPDATER;
    }

    /** G − I with G the filters' Gram matrix, rows = filters. */
    private static INDArray gramMinusI(INDArray rows) {
        INDArray g = rows.mmul(rows.transpose());
        return g.subi(Nd4j.eye(g.rows()).castTo(g.dataType()));
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (lambda == 0) {
            return;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray rows = NeuronRows.read(param, neurons);
            INDArray grad = gramMinusI(rows).mmul(rows).muli(2 * lambda);
            NeuronRows.addTo(gradView, grad);
        }
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        if (lambda == 0) {
            return 0;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray d = gramMinusI(NeuronRows.read(param, neurons));
            return 0.5 * lambda * d.mul(d).sumNumber().doubleValue();
        }
    }

    @Override
    public Regularization clone() {
        return new OrthogonalityPenalty(lambda, neurons);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrthogonalityPenalty p && p.lambda == lambda && p.neurons == neurons;
    }

    @Override
    public int hashCode() {
        return Objects.hash(lambda, neurons);
    }

    @Override
    public String toString() {
        return "OrthogonalityPenalty(lambda=" + lambda + ", neurons=" + neurons + ")";
    }
}
