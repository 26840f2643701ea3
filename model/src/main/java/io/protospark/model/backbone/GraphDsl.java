package io.protospark.model.backbone;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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
        return bn(in, name, BN_EPS);
    }

    String bn(String in, String name, double eps) {
        g.addLayer(name, new BatchNormalization.Builder().eps(eps).build(), in);
        return name;
    }

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
     * PReLU with the slopes shared over the given 1-based input axes (DL4J's convention, minibatch excluded): for a
     * CNN input [c, h, w], axes 2, 3 give one slope per channel (PyTorch {@code PReLU(c)}); 1, 2, 3 give a single one.
     * The input shape must be given: in DL4J 1.0.0-M2.1 {@code PReLULayer.setNIn} ignores the inferred input type,
     * and without a shape the parameter initialiser fails with a NullPointerException.
     */
    String prelu(String in, String name, long[] inputShape, long... sharedAxes) {
        g.addLayer(name, new PReLULayer.Builder().inputShape(inputShape.clone()).sharedAxes(sharedAxes).build(), in);
        return name;
    }

    /** PyTorch's output size of a convolution or pooling along one axis. */
    static int outSize(int size, int k, int s, int p) {
        return (size + 2 * p - k) / s + 1;
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

    /** Fully connected layer, linear activation; a CNN input is flattened in [c, h, w] order like PyTorch. */
    String dense(String in, String name, int nOut, boolean bias) {
        g.addLayer(name, new DenseLayer.Builder().nOut(nOut).hasBias(bias).activation(Activation.IDENTITY).build(), in);
        return name;
    }
}
