package io.protospark.model.energy;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Hyperspherical energy of a set of neurons and its gradient, exactly as the MHE / CoMHE code computes it: neurons are
 * the rows of a matrix, the cosine of two neurons is c_ij = w_i·w_j / (√(‖w_i‖² + 1e-4)·√(‖w_j‖² + 1e-4)), and the
 * energy is the mean of the {@link EnergyForm}'s pair term over the N(N−1)/2 unordered pairs. Half-space energy
 * appends the negated neurons (N → 2N, mean over 2N(2N−1)/2 pairs) before computing it.
 *
 * <p>Gradient: with û_i = w_i / n_i, n_i = √(‖w_i‖² + ε), and F'_ij = f'(c_ij) off the diagonal (0 on it), the
 * gradient with respect to the normalised rows is (1/M)·F'Û, and with respect to the raw rows
 * (g_i − (g_i·û_i)û_i) / n_i. Matrix products run in ND4J (double precision); the O(N²) pair terms in a Java loop.
 */
public final class HypersphericalEnergy {
    /** The seeds' epsilon inside every norm. */
    public static final double NORM_EPS = 1e-4;

    private HypersphericalEnergy() {
    }

    /** Energy and (optionally) its gradient with respect to the rows. */
    public record Result(double energy, INDArray gradient) {
    }

    /** Energy of the rows of {@code rows} (any float type; computed in double). */
    public static double energy(INDArray rows, EnergyForm form, boolean halfSpace) {
        return compute(rows, form, halfSpace, false).energy();
    }

    /**
     * Energy and gradient.
     *
     * @param rows      N×D, one neuron per row
     * @param halfSpace whether the negated neurons are appended first
     * @param gradient  whether to compute the gradient (N×D, double)
     */
    public static Result compute(INDArray rows, EnergyForm form, boolean halfSpace, boolean gradient) {
        INDArray x = NeuronRows.asDouble(rows);
        if (halfSpace) {
            x = Nd4j.vstack(x, x.neg());
        }
        int n = (int) x.rows();
        if (n < 2) {
            return new Result(0.0, gradient ? Nd4j.zeros(DataType.DOUBLE, rows.shape()) : null);
        }
        INDArray norms = norms(x);
        INDArray u = x.divColumnVector(norms);
        double[] c = u.mmul(u.transpose()).dup('c').data().asDouble();
        double pairs = n * (n - 1) / 2.0;
        double sum = 0;
        double[] dc = gradient ? new double[n * n] : null;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double cij = c[i * n + j];
                sum += form.term(cij);
                if (gradient) {
                    double d = form.derivative(cij) / pairs;
                    dc[i * n + j] = d;
                    dc[j * n + i] = d;
                }
            }
        }
        if (!gradient) {
            return new Result(sum / pairs, null);
        }
        INDArray gu = Nd4j.create(dc, new long[]{n, n}, 'c').mmul(u);
        INDArray gx = throughNormalisation(gu, u, norms);
        if (halfSpace) {
            int half = n / 2;
            gx = gx.get(NDArrayIndex.interval(0, half), NDArrayIndex.all())
                    .sub(gx.get(NDArrayIndex.interval(half, n), NDArrayIndex.all()));
        }
        return new Result(sum / pairs, gx);
    }

    /** √(‖row‖² + ε) per row, as an N×1 column. */
    static INDArray norms(INDArray x) {
        return Transforms.sqrt(x.mul(x).sum(true, 1).reshape(x.rows(), 1).addi(NORM_EPS), false);
    }

    /** Given dL/dû (rows), returns dL/dx for û = x / √(‖x‖² + ε). */
    static INDArray throughNormalisation(INDArray gu, INDArray u, INDArray norms) {
        INDArray dot = gu.mul(u).sum(true, 1).reshape(u.rows(), 1);
        return gu.sub(u.mulColumnVector(dot)).diviColumnVector(norms);
    }

    /** The eps-normalised cosine matrix of the rows (N×N, diagonal included). */
    static INDArray cosines(INDArray x) {
        INDArray u = x.divColumnVector(norms(x));
        return u.mmul(u.transpose());
    }
}
