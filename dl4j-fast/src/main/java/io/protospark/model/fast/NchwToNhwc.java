package io.protospark.model.fast;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * The network input's NCHW images as the NHWC maps of a graph whose convolutional part {@link FastLayers#convert} put
 * in channels-last order (one copy of the input batch), and the gradient back in NCHW. Set on the layers that read a
 * network input, so the network still takes and documents NCHW input.
 */
public class NchwToNhwc implements InputPreProcessor {
    private static final long serialVersionUID = 1L;

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        requireRank4(input, "NCHW to NHWC", "input");
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, input.permute(0, 2, 3, 1), 'c');
    }

    @Override
    public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        requireRank4(output, "NCHW to NHWC", "gradient");
        return workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, output.permute(0, 3, 1, 2), 'c');
    }

    /** Refuses anything but a 4-d batch of maps, naming {@code who} (the pre-processor) and {@code what}. */
    static void requireRank4(INDArray a, String who, String what) {
        if (a.rank() != 4) {
            throw new IllegalArgumentException(who + ": the " + what + " must be a 4-d image batch, got shape "
                    + Arrays.toString(a.shape()));
        }
    }

    @Override
    public InputType getOutputType(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional c)) {
            throw new IllegalArgumentException("NCHW to NHWC: expected a convolutional input type, got " + inputType);
        }
        return InputType.convolutional(c.getHeight(), c.getWidth(), c.getChannels(), CNN2DFormat.NHWC);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return new Pair<>(maskArray, currentMaskState);
    }

    @Override
    public NchwToNhwc clone() {
        return new NchwToNhwc();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NchwToNhwc;
    }

    @Override
    public int hashCode() {
        return NchwToNhwc.class.hashCode();
    }

    @Override
    public String toString() {
        return "NchwToNhwc()";
    }
}
