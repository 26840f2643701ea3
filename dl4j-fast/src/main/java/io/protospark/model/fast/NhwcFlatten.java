package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Objects;

/**
 * DL4J's flatten of a map into a vector ({@link CnnToFeedForwardPreProcessor}, in NCHW order) for a map that
 * {@link ChannelsLast} keeps in NHWC: the map is read through an NCHW view, so the flattened vector, and so the dense
 * layer's weights, are exactly those of the channels-first network (one copy, which the flatten makes anyway for a
 * view); the gradient goes back as an NHWC map.
 */
public class NhwcFlatten extends CnnToFeedForwardPreProcessor {
    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation. */
    public NhwcFlatten() {
        super();
    }

    /** The flatten of a [channels, height, width] map, read from NHWC. */
    public NhwcFlatten(long height, long width, long channels) {
        super(height, width, channels);
        setFormat(CNN2DFormat.NCHW);
    }

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        NchwToNhwc.requireRank4(input, "NHWC flatten", "input");
        return super.preProcess(input.permute(0, 3, 1, 2), miniBatchSize, workspaceMgr);
    }

    @Override
    public INDArray backprop(INDArray epsilons, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        INDArray nchw = super.backprop(epsilons, miniBatchSize, workspaceMgr);
        NchwToNhwc.requireRank4(nchw, "NHWC flatten", "gradient");
        return workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, nchw.permute(0, 2, 3, 1), 'c');
    }

    @Override
    public NhwcFlatten clone() {
        return new NhwcFlatten(inputHeight, inputWidth, numChannels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NhwcFlatten f && f.inputHeight == inputHeight && f.inputWidth == inputWidth
                && f.numChannels == numChannels;
    }

    @Override
    public int hashCode() {
        return Objects.hash(NhwcFlatten.class, inputHeight, inputWidth, numChannels);
    }

    @Override
    public String toString() {
        return "NhwcFlatten(height=" + inputHeight + ", width=" + inputWidth + ", channels=" + numChannels + ")";
    }
}
