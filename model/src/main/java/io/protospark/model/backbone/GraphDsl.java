package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.distribution.ConstantDistribution;
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
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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
     * PReLU with one learned slope per channel (PyTorch {@code PReLU(c)}, slopes initialised to 0.25) on a CNN input,
     * assembled from stock parts as relu(x) − a ⊙ relu(−x), where a ⊙ · is a bias-free depthwise 1×1 convolution:
     * exactly c parameters, and a is the slope itself (weight decay pulls it towards 0, as in PyTorch).
     *
     * <p>Two DL4J 1.0.0-M2.1 traps shape this. Its own {@code PReLULayer} cannot train: the backward op
     * {@code prelu_bp} rejects inputs more than 64 times larger than the slope array (any shared-axis PReLU at
     * realistic sizes), and its {@code setNIn} ignores the input type. And an {@code ActivationLayer} applies its
     * function in place on its input at inference, so a ReLU must never read an array another vertex also reads:
     * here it reads the fresh −x from a {@link ScaleVertex}, and relu(x) is recovered as x + relu(−x).
     */
    String prelu(String in, String name, int channels) {
        return preluParts(in, name, channels, false);
    }

    /**
     * PReLU with one slope per feature on a dense input of n features (n parameters; PyTorch's {@code PReLU()} after
     * a linear layer has one). The features are viewed as an n-channel 1×1 map. libnd4j's depthwise convolution
     * fails ("MmulHelper::dot: Z array must be scalar") when batch·height·width is 1 in the forward pass or when there
     * is one channel in the backward pass, so the slope convolution zero-pads the map to 1×3 and a crop takes the
     * centre back: batch size 1 works, and the padded columns never reach the output.
     */
    String densePrelu(String in, String name, int features) {
        String cnn = name + "_as_cnn";
        g.addVertex(cnn, new PreprocessorVertex(new FeedForwardToCnnPreProcessor(1, 1, features)), in);
        String out = preluParts(cnn, name + "_cnn", features, true);
        g.addVertex(name, new PreprocessorVertex(new CnnToFeedForwardPreProcessor(1, 1, features)), out);
        return name;
    }

    private String preluParts(String in, String name, int channels, boolean padAndCrop) {
        g.addVertex(name + "_negx", new ScaleVertex(-1.0), in);
        String r = relu(name + "_negx", name + "_relu_negx");
        DepthwiseConvolution2D.Builder slope = new DepthwiseConvolution2D.Builder(1, 1).depthMultiplier(1)
                .nOut(channels).hasBias(false).convolutionMode(ConvolutionMode.Truncate)
                .activation(Activation.IDENTITY).weightInit(new ConstantDistribution(PRELU_INIT));
        String scaled = name + "_slope";
        if (padAndCrop) {
            g.addLayer(name + "_slope_padded", slope.padding(0, 1).build(), r);
            g.addLayer(scaled, new Cropping2D(0, 0, 1, 1), name + "_slope_padded");
        } else {
            g.addLayer(scaled, slope.build(), r);
        }
        String positive = add(name + "_pos", in, r);
        g.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Subtract), positive, scaled);
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
