package io.protospark.model.net;

import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes the prototype matrix held by a network's fixed head.
 *
 * <p>The head is a bias-free dense layer named {@link Networks#HEAD} whose updater is {@link #FROZEN}: SGD with
 * learning rate exactly 0 and no regularisation, so every update is 0·g = 0 and the weights stay bit-identical.
 * DL4J offers two other routes that do not hold: the {@code NoOp} updater passes the raw gradient through, and
 * {@code FrozenLayerWithBackprop} in 1.0.0-M2.1 still shifts its weights under Adam (the model tests show it).
 *
 * <p>The head's dense weight W is d×K (DL4J's nIn×nOut), so W = Pᵀ: column k is the prototype of class k.
 * The driver owns the prototypes: after every distributed {@code fit} it writes them back with {@link #apply},
 * because parameter averaging divides the workers' sum by the worker count, which is not bit-exact for every
 * count even when no worker changed the weights.
 */
public final class FixedHead {
    /** The updater of the fixed head: every update is exactly zero. */
    public static final IUpdater FROZEN = new Sgd(0.0);

    private FixedHead() {
    }

    /** Whether the network has a fixed prototype head. */
    public static boolean isFixed(MultiLayerNetwork net) {
        return isFixedLayer(headLayer(net));
    }

    /** Writes P (K×d) into the head as W = Pᵀ, in the network's data type. */
    public static void apply(MultiLayerNetwork net, PrototypeSet prototypes) {
        Layer head = requireFixed(net);
        INDArray w = head.getParam("W");
        long d = w.size(0);
        long k = w.size(1);
        if (prototypes.classes() != k || prototypes.dimension() != d) {
            throw new IllegalArgumentException("prototype set is " + prototypes.classes() + "x"
                    + prototypes.dimension() + " but the head expects " + k + "x" + d);
        }
        INDArray p = Nd4j.create(prototypes.matrix()).castTo(w.dataType());
        w.assign(p.transpose());
    }

    /** The K×d matrix the head holds now, as float values widened to double. */
    public static double[][] read(MultiLayerNetwork net) {
        INDArray w = requireFixed(net).getParam("W");
        return w.transpose().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
    }

    /** The raw weight array of the head (d×K), for bit-exact comparisons. */
    public static INDArray weights(MultiLayerNetwork net) {
        return requireFixed(net).getParam("W").dup();
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

    private static Layer headLayer(MultiLayerNetwork net) {
        Layer[] layers = net.getLayers();
        for (int i = layers.length - 1; i >= 0; i--) {
            if (layers[i].numParams() > 0) {
                return layers[i];
            }
        }
        throw new IllegalStateException("network has no layer with parameters");
    }

    private static Layer requireFixed(MultiLayerNetwork net) {
        Layer head = headLayer(net);
        if (!isFixedLayer(head)) {
            throw new IllegalStateException("the network's head is " + head.getClass().getSimpleName()
                    + ", not a fixed prototype layer");
        }
        return head;
    }
}
