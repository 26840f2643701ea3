package io.protospark.model.net;

import io.protospark.model.io.HostArrays;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.List;

/**
 * Reads and writes the fixed prototype matrix P (K×d) a network holds, wherever it lives:
 * <ul>
 *   <li>in a fixed head layer {@link Networks#HEAD}: a bias-free dense layer whose updater is {@link #FROZEN} (SGD
 *   with learning rate exactly 0 and no regularisation, so every update is 0·g = 0 and the weights stay
 *   bit-identical). DL4J offers two other routes that do not hold: the {@code NoOp} updater passes the raw gradient
 *   through, and {@code FrozenLayerWithBackprop} in 1.0.0-M2.1 still shifts its weights under Adam. The dense weight
 *   W is d×K (DL4J's nIn×nOut), so W = Pᵀ;</li>
 *   <li>or as the targets of a {@link TargetLoss} on the embedding (Nirvana, squared cosine): part of the
 *   configuration, so no optimizer ever sees them.</li>
 * </ul>
 * The driver owns the prototypes: after every distributed {@code fit} it writes them back with {@link #apply},
 * because parameter averaging divides the workers' sum by the worker count, which is not bit-exact for every
 * count even when no worker changed the weights.
 */
public final class FixedHead {
    /** The updater of the fixed head: every update is exactly zero. */
    public static final IUpdater FROZEN = new Sgd(0.0);

    private FixedHead() {
    }

    /** Whether the network holds fixed prototypes (a fixed head layer or a target loss). */
    public static boolean isFixed(ComputationGraph net) {
        return headLayer(net) != null || !TargetLosses.find(net).isEmpty();
    }

    /** Writes P (K×d) into the head as W = Pᵀ (in the network's data type), or into the target loss. */
    public static void apply(ComputationGraph net, PrototypeSet prototypes) {
        Layer head = headLayer(net);
        if (head != null) {
            INDArray w = head.getParam("W");
            check(prototypes, w.size(1), w.size(0));
            w.assign(prototypes.toArray(w.dataType()).transpose());
            return;
        }
        TargetLoss loss = targetLoss(net);
        check(prototypes, loss.numClasses(), loss.dimension());
        loss.setTargets(prototypes.toArray(DataType.DOUBLE));
    }

    /** The K×d matrix the network holds now, as float values widened to double. */
    public static double[][] read(ComputationGraph net) {
        return HostArrays.rows(prototypes(net));
    }

    /** The K×d prototype matrix the network holds now, in the type it is held in (a view of the head's weight). */
    public static INDArray prototypes(ComputationGraph net) {
        Layer head = headLayer(net);
        return head != null ? head.getParam("W").transpose() : targetLoss(net).getTargets();
    }

    /**
     * The raw prototype array, for bit-exact comparisons: the head's d×K weight, or for a target loss the d×K
     * transpose of its targets.
     */
    public static INDArray weights(ComputationGraph net) {
        Layer head = headLayer(net);
        if (head != null) {
            return head.getParam("W").dup();
        }
        return targetLoss(net).getTargets().transpose().dup();
    }

    /** Whether a layer is a fixed prototype layer: a dense layer with the zero updater and no regularisation. */
    public static boolean isFixedLayer(Layer layer) {
        if (!(layer.conf().getLayer() instanceof DenseLayer dense)) {
            return false;
        }
        IUpdater u = dense.getIUpdater();
        boolean noReg = (dense.getRegularization() == null || dense.getRegularization().isEmpty())
                && (dense.getRegularizationBias() == null || dense.getRegularizationBias().isEmpty());
        return u instanceof Sgd sgd && sgd.getLearningRate() == 0.0 && !dense.hasBias() && noReg;
    }

    private static void check(PrototypeSet p, long k, long d) {
        if (p.classes() != k || p.dimension() != d) {
            throw new IllegalArgumentException("prototype set is " + p.classes() + "x" + p.dimension()
                    + " but the network expects " + k + "x" + d);
        }
    }

    /** The fixed head layer, or null when the network has none. */
    private static Layer headLayer(ComputationGraph net) {
        var vertex = net.getVertex(Networks.HEAD);
        Layer head = vertex == null || !vertex.hasLayer() ? null : vertex.getLayer();
        return head != null && isFixedLayer(head) ? head : null;
    }

    private static TargetLoss targetLoss(ComputationGraph net) {
        List<TargetLoss> losses = TargetLosses.find(net);
        if (losses.size() != 1) {
            throw new IllegalStateException("the network has no fixed prototypes: no fixed head layer '"
                    + Networks.HEAD + "' and " + losses.size() + " target losses");
        }
        return losses.get(0);
    }
}
