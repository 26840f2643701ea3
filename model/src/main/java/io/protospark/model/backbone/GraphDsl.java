package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import io.protospark.model.fast.ChannelPrelu;
import io.protospark.model.sphere.SphereConv;
import io.protospark.model.sphere.SphereDense;
import io.protospark.model.sphere.SphereOperator;
import io.protospark.model.sphere.SphereSettings;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;

/**
 * A thin layer over DL4J's {@link ComputationGraphConfiguration.GraphBuilder}: each call adds one stock layer or
 * vertex under a unique name and returns that name, so residual wiring reads like the PyTorch forward pass.
 * Convolutions use {@link ConvolutionMode#Truncate} with explicit padding, i.e. PyTorch's output-size arithmetic.
 */
final class GraphDsl {
    /** PyTorch's BatchNorm default epsilon. */
    static final double BN_EPS = 1e-5;
    /** PyTorch's initial PReLU slope. */
    static final double PRELU_INIT = 0.25;

    private final ComputationGraphConfiguration.GraphBuilder g;

    GraphDsl(ComputationGraphConfiguration.GraphBuilder g) {
        this.g = g;
    }

    ComputationGraphConfiguration.GraphBuilder builder() {
        return g;
    }

    /** k×k convolution, stride s, zero padding p, linear activation. */
    String conv(String in, String name, int k, int s, int p, int nOut, boolean bias) {
        g.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(s, s).padding(p, p)
                .convolutionMode(ConvolutionMode.Truncate).nOut(nOut).hasBias(bias)
                .activation(Activation.IDENTITY).build(), in);
        return name;
    }

    /** Batch normalisation over channels (CNN input) or features (dense input). */
    String bn(String in, String name) {
        return bn(in, name, BN_EPS, 0.9);
    }

    /**
     * Batch normalisation with the given epsilon and running-average decay (DL4J's decay = 1 − PyTorch's momentum;
     * PyTorch's default momentum 0.1 is DL4J's default decay 0.9).
     */
    String bn(String in, String name, double eps, double decay) {
        g.addLayer(name, new BatchNormalization.Builder().eps(eps).decay(decay).build(), in);
        return name;
    }

    /** ReLU; applied in place at inference (DL4J), so {@code in} must have no other reader — see {@link #prelu}. */
    String relu(String in, String name) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), in);
        return name;
    }

    /** A parameter-free identity layer, used to give a vertex a fixed name. */
    String identity(String in, String name) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.IDENTITY).build(), in);
        return name;
    }

    String leakyRelu(String in, String name, double slope) {
        g.addLayer(name, new ActivationLayer.Builder().activation(new ActivationLReLU(slope)).build(), in);
        return name;
    }

    /**
     * PReLU with one learned slope per channel (PyTorch {@code PReLU(c)}, slopes initialised to 0.25) on a CNN input:
     * a {@link ChannelPrelu} layer, exactly c parameters (key {@value ChannelPrelu#SLOPE_KEY}), which runs on oneDNN
     * and stays channels-last in a fast graph.
     */
    String prelu(String in, String name, int channels) {
        g.addLayer(name, new ChannelPrelu.Builder().nIn(channels).initialSlope(PRELU_INIT).build(), in);
        return name;
    }

    /**
     * PReLU with one slope per feature on a dense input of n features (n parameters; PyTorch's {@code PReLU()} after
     * a linear layer has one): the features viewed as an n-channel 1×1 map through a {@link ChannelPrelu} named
     * {@code <name>_cnn}.
     */
    String densePrelu(String in, String name, int features) {
        String cnn = name + "_as_cnn";
        g.addVertex(cnn, new PreprocessorVertex(new FeedForwardToCnnPreProcessor(1, 1, features)), in);
        String out = prelu(cnn, name + "_cnn", features);
        g.addVertex(name, new PreprocessorVertex(new CnnToFeedForwardPreProcessor(1, 1, features)), out);
        return name;
    }

    String add(String name, String a, String b) {
        g.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a, b);
        return name;
    }

    String maxPool(String in, String name, int k, int s, int p) {
        g.addLayer(name, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(k, k).stride(s, s)
                .padding(p, p).convolutionMode(ConvolutionMode.Truncate).build(), in);
        return name;
    }

    String globalAvgPool(String in, String name) {
        g.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
        return name;
    }

    /** PyTorch {@code Dropout2d(p)}: whole channels dropped with probability p (DL4J takes the retain probability). */
    String spatialDropout(String in, String name, double dropProbability) {
        g.addLayer(name, new DropoutLayer.Builder().dropOut(new SpatialDropout(1.0 - dropProbability)).build(), in);
        return name;
    }

    /**
     * He et al.'s option-A shortcut for a doubled width: keep every stride-th pixel (a 1×1 max-pool with that
     * stride) and append inC zero channels (0·x). PyTorch's {@code F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p))}
     * puts the zeros half before and half after; the two differ only by a fixed relabelling of the block's output
     * channels, which the following layers' weights absorb (same function class, same initial distribution).
     * DL4J's {@code SubsetVertex} mis-infers CNN channel counts in 1.0.0-M2.1, which rules out the split padding.
     */
    String zeroPadShortcut(String in, String name, int inC, int outC, int stride) {
        if (outC != 2 * inC) {
            throw new IllegalArgumentException("option-A shortcut needs outC = 2·inC, found " + inC + " -> " + outC);
        }
        String sub = maxPool(in, name + "_sub", 1, stride, 0);
        g.addVertex(name + "_zero", new ScaleVertex(0.0), sub);
        g.addVertex(name, new MergeVertex(), sub, name + "_zero");
        return name;
    }

    /** k×k SphereConv (explicit padding p, stride s, no bias) with the settings' operator, k and orthogonality λ. */
    String sphereConv(String in, String name, int k, int s, int p, int nOut, SphereSettings settings) {
        g.addLayer(name, new SphereConv.Builder(k, k).stride(s, s).padding(p, p).nOut(nOut).settings(settings).build(),
                in);
        return name;
    }

    /** Dense SphereConv (a VALID SphereConv over the whole map) with the given operator. */
    String sphereDense(String in, String name, int nOut, SphereOperator op, SphereSettings settings) {
        g.addLayer(name, SphereDense.of(nOut, op, settings), in);
        return name;
    }

    /** Fully connected layer, linear activation; a CNN input is flattened in [c, h, w] order like PyTorch. */
    String dense(String in, String name, int nOut, boolean bias) {
        g.addLayer(name, new DenseLayer.Builder().nOut(nOut).hasBias(bias).activation(Activation.IDENTITY).build(), in);
        return name;
    }
}
