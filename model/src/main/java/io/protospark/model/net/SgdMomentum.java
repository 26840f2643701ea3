package io.protospark.model.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * SGD with heavy-ball momentum as PyTorch's {@code torch.optim.SGD} computes it (dampening 0): with gradient g (weight
 * decay, if any, already added by DL4J's L2 regularisation, as PyTorch's {@code weight_decay} adds it),
 * <pre>
 *   buf = μ·buf + g
 *   w  -= lr·buf              (nesterov = false)
 *   w  -= lr·(g + μ·buf)      (nesterov = true)
 * </pre>
 * The buffer holds no learning rate, so a rate that changes between steps (a schedule) scales only the current step,
 * as in PyTorch. ND4J's {@code Nesterovs} folds the rate into its velocity (v = μv − lr·g) and has no plain heavy-ball
 * form. The buffer lives in the updater's state view, so DL4J Spark's {@code saveUpdater(true)} averages and keeps it
 * between rounds, and {@code ModelSerializer} saves it. With μ = 0 this is plain SGD: w −= lr·g.
 *
 * <p>JSON (DL4J writes updaters with their class name): the fields below; the no-argument constructor is for it.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class SgdMomentum implements IUpdater {
    private static final long serialVersionUID = 1L;
    /** Key of the momentum buffer in {@link GradientUpdater#getState()}. */
    public static final String BUFFER = "M";

    private double learningRate;
    private ISchedule learningRateSchedule;
    private double momentum;
    private boolean nesterov;

    /** For JSON. */
    public SgdMomentum() {
        this(0.1, 0.9, false);
    }

    public SgdMomentum(double learningRate, double momentum, boolean nesterov) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must lie in [0, 1), got " + momentum);
        }
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public double momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    /** The rate's schedule, or null for the fixed {@link #getLearningRate(int, int) rate}. */
    public ISchedule schedule() {
        return learningRateSchedule;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater u = new Updater(this);
        u.setStateViewArray(viewArray, viewArray.shape().clone(), viewArray.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        Updater u = new Updater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public SgdMomentum clone() {
        SgdMomentum c = new SgdMomentum(learningRate, momentum, nesterov);
        c.learningRateSchedule = learningRateSchedule == null ? null : learningRateSchedule.clone();
        return c;
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SgdMomentum s && s.learningRate == learningRate && s.momentum == momentum
                && s.nesterov == nesterov && Objects.equals(s.learningRateSchedule, learningRateSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, momentum, nesterov, learningRateSchedule);
    }

    @Override
    public String toString() {
        return "SgdMomentum(lr=" + learningRate + ", momentum=" + momentum + ", nesterov=" + nesterov
                + (learningRateSchedule == null ? "" : ", schedule=" + learningRateSchedule) + ")";
    }

    /** The step itself; its buffer is a view of the network's updater state. */
    static final class Updater implements GradientUpdater<SgdMomentum> {
        private final SgdMomentum config;
        private INDArray buf;

        Updater(SgdMomentum config) {
            this.config = config;
        }

        @Override
        public SgdMomentum getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> stateMap, boolean initialize) {
            if (stateMap == null || stateMap.size() != 1 || !stateMap.containsKey(BUFFER)) {
                throw new IllegalStateException("SgdMomentum expects one state array \"" + BUFFER + "\", got "
                        + (stateMap == null ? null : stateMap.keySet()));
            }
            buf = stateMap.get(BUFFER);
            if (initialize) {
                buf.assign(0);
            }
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of(BUFFER, buf);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder,
                                      boolean initialize) {
            if (!viewArray.isRowVectorOrScalar()) {
                throw new IllegalArgumentException("the state view must be a row vector, got shape "
                        + Arrays.toString(viewArray.shape()));
            }
            if (initialize) {
                viewArray.assign(0);
            }
            buf = viewArray.reshape(gradientOrder, gradientShape);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            if (buf == null) {
                throw new IllegalStateException("SgdMomentum: the updater state was never set");
            }
            double lr = config.getLearningRate(iteration, epoch);
            double mu = config.momentum;
            buf.muli(mu).addi(gradient);            // buf = μ·buf + g
            if (config.nesterov) {
                gradient.addi(buf.mul(mu));         // g + μ·buf
            } else {
                gradient.assign(buf);
            }
            gradient.muli(lr);                       // DL4J subtracts the returned update from the parameters
        }
    }
}
