package io.protospark.model.loss;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;
import org.nd4j.shade.jackson.databind.annotation.JsonSerialize;

/**
 * Common plumbing of the target losses: a K×d target matrix (row k = the fixed prototype / centre of class k),
 * one-hot labels N×K selecting each example's row, the activation applied to preOutput (normally identity) and
 * an optional per-example mask (N×1 or length N).
 *
 * <p>DL4J contract: {@link #computeScoreArray} gives one score per example; {@link #computeScore} their sum, divided
 * by N when {@code average}; {@link #computeGradient} is the gradient of the <em>sum</em> with respect to preOutput
 * (DL4J divides by the minibatch size itself, in the score and in the updater). Each subclass chooses the
 * per-example score so that the minibatch mean equals its seed's loss, unless its documentation says otherwise.
 *
 * <p>The targets are serialised with the configuration ({@code MultiLayerConfiguration.toJson()}) as exact base64
 * doubles ({@link TargetsJson}). Replace them
 * with {@link #setTargets} or {@link #assign} (label-to-prototype assignment permutes rows); the network's
 * {@code LossLayer} configuration holds this very instance, see {@link TargetLosses#find}.
 *
 * <p><b>By reference.</b> Java serialisation (what DL4J Spark's broadcast of every averaging round uses) writes the
 * matrix inline, unless a {@link TargetsRef} is set ({@link #setTargetsRef}): then it writes only the reference, and
 * the receiving JVM resolves the matrix through its {@link TargetsResolver} (the model module's targets store: read
 * and verified once per JVM). Replacing the
 * targets drops the reference, so a stale file is never used. JSON always holds the matrix itself, so a saved
 * model stays self-contained.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public abstract class TargetLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    @JsonProperty("targets")
    @JsonSerialize(using = TargetsJson.Serializer.class)
    @JsonDeserialize(using = TargetsJson.Deserializer.class)
    private INDArray targets;

    /** Where {@link #targets} also lives as a file, or null; Java serialisation then writes only this. */
    @JsonIgnore
    private TargetsRef targetsRef;

    /** For Jackson. */
    protected TargetLoss() {
    }

    protected TargetLoss(INDArray targets) {
        setTargets(targets);
    }

    /** Per-example scores (N×1, unmasked) and, when asked, the gradient of their sum with respect to f (N×d). */
    protected record Eval(INDArray scores, INDArray gradient) {
    }

    /**
     * @param labels N×K labels, same data type as {@code f}
     * @param f      N×d embedding (after the activation)
     * @param t      K×d targets in the data type of {@code f}
     * @param mask   per-example mask as an N×1 column, or null
     */
    protected abstract Eval evaluate(INDArray labels, INDArray f, INDArray t, INDArray mask, boolean gradient);

    /** Extra hyper-parameters, for equals/hashCode/toString. */
    protected double[] parameters() {
        return new double[0];
    }

    /** A copy of the current K×d targets (double precision). */
    public INDArray getTargets() {
        return targets.dup();
    }

    /** Replaces the targets (copied, stored in double precision); the shape must be K×d and may not change. */
    public void setTargets(INDArray newTargets) {
        Objects.requireNonNull(newTargets, "targets");
        if (newTargets.rank() != 2 || newTargets.rows() < 1 || newTargets.columns() < 1) {
            throw new IllegalArgumentException("targets must be a non-empty K×d matrix, got "
                    + Arrays.toString(newTargets.shape()));
        }
        if (targets != null && !Arrays.equals(targets.shape(), newTargets.shape())) {
            throw new IllegalArgumentException("targets shape " + Arrays.toString(newTargets.shape())
                    + " differs from " + Arrays.toString(targets.shape()));
        }
        this.targets = newTargets.castTo(DataType.DOUBLE).dup();
        this.targetsRef = null; // the file, if any, holds the old matrix
    }

    /**
     * The current targets themselves, not a copy: never modify. For the targets store, which writes, hashes and
     * caches them without a copy (a face-scale matrix is 1.2 GB).
     */
    public INDArray targetsView() {
        return targets;
    }

    /** The reference Java serialisation writes instead of the matrix, or null when it writes the matrix. */
    public TargetsRef targetsRef() {
        return targetsRef;
    }

    /**
     * Makes Java serialisation write {@code ref} instead of the matrix (null: the matrix again). {@code ref} must
     * name a file holding exactly the current targets, as {@code io.protospark.model.targets.TargetsStore.writeNpy}
     * wrote them and with the {@code TargetsStore.sha256} of that file; the shape is checked here, the content where
     * it is resolved.
     */
    public void setTargetsRef(TargetsRef ref) {
        if (ref != null && (ref.rows() != targets.rows() || ref.columns() != targets.columns())) {
            throw new IllegalArgumentException("targets reference " + ref.uri() + " is " + ref.rows() + " x "
                    + ref.columns() + "; the targets are " + targets.rows() + " x " + targets.columns());
        }
        this.targetsRef = ref;
    }

    /** With a reference, the reference alone; otherwise the matrix, as before references existed. */
    private void writeObject(ObjectOutputStream out) throws IOException {
        ObjectOutputStream.PutField f = out.putFields();
        f.put("targets", targetsRef == null ? targets : null);
        f.put("targetsRef", targetsRef);
        out.writeFields();
    }

    /** Resolves a reference through this JVM's {@link TargetsResolver}; errors name the file (and both hashes). */
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        ObjectInputStream.GetField f = in.readFields();
        INDArray t = (INDArray) f.get("targets", null);
        TargetsRef ref = (TargetsRef) f.get("targetsRef", null);
        if (t == null && ref != null) {
            TargetsResolver resolver = Resolver.INSTANCE;
            if (resolver == null) {
                throw new InvalidObjectException(getClass().getSimpleName() + ": serialised with a reference to "
                        + ref.uri() + ", and no " + TargetsResolver.class.getName() + " is registered (META-INF/"
                        + "services) to resolve it");
            }
            t = resolver.resolve(ref);
        }
        if (t == null) {
            throw new InvalidObjectException(getClass().getSimpleName() + ": serialised without targets or a "
                    + "reference to them");
        }
        targets = t;
        targetsRef = ref;
    }

    /** The first {@link TargetsResolver} registered with the class loader of this class, found once per JVM. */
    private static final class Resolver {
        static final TargetsResolver INSTANCE = java.util.ServiceLoader.load(TargetsResolver.class,
                TargetLoss.class.getClassLoader()).findFirst().orElse(null);
    }

    /** Replaces the targets by a K×d array of rows. */
    public void setTargetRows(double[][] rows) {
        setTargets(Nd4j.create(rows));
    }

    /**
     * Label-to-prototype assignment: class c gets row {@code prototypeOfClass[c]} of {@code prototypes}
     * (always taken from the original, unpermuted matrix, as DL2PA does), e.g.
     * {@code assign(P, assignment.columnOfRow())}.
     */
    public void assign(INDArray prototypes, int[] prototypeOfClass) {
        int k = prototypeOfClass.length;
        boolean[] seen = new boolean[(int) prototypes.rows()];
        for (int c = 0; c < k; c++) {
            int j = prototypeOfClass[c];
            if (j < 0 || j >= seen.length || seen[j]) {
                throw new IllegalArgumentException("not an injective assignment: " + Arrays.toString(prototypeOfClass));
            }
            seen[j] = true;
        }
        INDArray rows = Nd4j.create(DataType.DOUBLE, k, prototypes.columns());
        for (int c = 0; c < k; c++) {
            rows.putRow(c, prototypes.getRow(prototypeOfClass[c]).castTo(DataType.DOUBLE));
        }
        setTargets(rows);
    }

    public int numClasses() {
        return (int) targets.rows();
    }

    public int dimension() {
        return (int) targets.columns();
    }

    private Eval run(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean gradient) {
        if (preOutput.rank() != 2 || preOutput.columns() != targets.columns()) {
            throw new IllegalArgumentException(name() + ": embedding shape " + Arrays.toString(preOutput.shape())
                    + " does not match targets " + Arrays.toString(targets.shape()));
        }
        if (labels.rank() != 2 || labels.rows() != preOutput.rows() || labels.columns() != targets.rows()) {
            throw new IllegalArgumentException(name() + ": labels shape " + Arrays.toString(labels.shape())
                    + " is not N×K for N = " + preOutput.rows() + ", K = " + targets.rows());
        }
        DataType dt = preOutput.dataType();
        INDArray f = activationFn.getActivation(preOutput.dup(), true);
        INDArray y = labels.castTo(dt);
        INDArray m = null;
        if (mask != null) {
            if (mask.length() != preOutput.rows()) {
                throw new IllegalArgumentException(name() + ": only per-example masks (N×1) are supported, got "
                        + Arrays.toString(mask.shape()));
            }
            m = mask.castTo(dt).reshape(preOutput.rows(), 1);
        }
        Eval e = evaluate(y, f, targets.castTo(dt), m, gradient);
        INDArray scores = e.scores().reshape(preOutput.rows(), 1);
        INDArray grad = e.gradient();
        if (m != null) {
            scores = scores.mul(m);
            if (grad != null) {
                grad = grad.mulColumnVector(m);
            }
        }
        if (gradient) {
            grad = activationFn.backprop(preOutput.dup(), grad).getFirst();
        }
        return new Eval(scores, grad);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        double s = run(labels, preOutput, activationFn, mask, false).scores().sumNumber().doubleValue();
        return average ? s / preOutput.rows() : s;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return run(labels, preOutput, activationFn, mask, false).scores();
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return run(labels, preOutput, activationFn, mask, true).gradient();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        Eval e = run(labels, preOutput, activationFn, mask, true);
        double s = e.scores().sumNumber().doubleValue();
        return new Pair<>(average ? s / preOutput.rows() : s, e.gradient());
    }

    /** The rows of {@code t} selected by the labels: labels (N×K) · t (K×d). */
    protected static INDArray gather(INDArray labels, INDArray t) {
        return labels.mmul(t);
    }

    /** Row norms as an N×1 column, clamped below at {@code eps}. */
    protected static INDArray rowNorms(INDArray a, double eps) {
        INDArray n = a.norm2(1).reshape(a.rows(), 1);
        return org.nd4j.linalg.ops.transforms.Transforms.max(n, eps, false);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || o.getClass() != getClass()) {
            return false;
        }
        TargetLoss other = (TargetLoss) o;
        return Arrays.equals(parameters(), other.parameters())
                && (targets == null ? other.targets == null : targets.equals(other.targets));
    }

    @Override
    public int hashCode() {
        return 31 * getClass().hashCode() + Arrays.hashCode(parameters())
                + (targets == null ? 0 : Arrays.hashCode(targets.shape()));
    }

    @Override
    public String toString() {
        return name() + "(K=" + (targets == null ? 0 : targets.rows()) + ", d="
                + (targets == null ? 0 : targets.columns()) + ", params=" + Arrays.toString(parameters()) + ")";
    }
}
