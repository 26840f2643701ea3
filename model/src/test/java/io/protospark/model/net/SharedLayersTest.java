package io.protospark.model.net;

import io.protospark.config.SettingsException;
import io.protospark.model.fast.ChannelPrelu;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SharedLayers}: layers copied by name, fresh ones listed, shape mismatches refused, older PReLU slopes. */
class SharedLayersTest {
    private static ComputationGraph net(boolean channelPrelu, int outputs, long seed) {
        var g = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "in");
        String last;
        if (channelPrelu) {
            g.addLayer("p", new ChannelPrelu.Builder().build(), "c");
            last = "p";
        } else {
            // the slope convolution of the construction protospark used before ChannelPrelu
            g.addLayer("p_slope", new DepthwiseConvolution2D.Builder(1, 1).depthMultiplier(1).nOut(4).hasBias(false)
                    .activation(Activation.IDENTITY).build(), "c");
            last = "p_slope";
        }
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last)
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(outputs)
                        .activation(Activation.IDENTITY).build(), "gap")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    @Test
    void copiesByNameAndTakesOlderPreluSlopes() {
        ComputationGraph earlier = net(false, 3, 1);
        INDArray slopes = Nd4j.createFromArray(0.1f, -0.2f, 0.3f, 0.7f);
        earlier.getLayer("p_slope").getParam("W").assign(slopes.reshape(earlier.getLayer("p_slope").getParam("W")
                .shape()));
        ComputationGraph net = net(true, 3, 2);
        SharedLayers.Copied copied = SharedLayers.copy(earlier, net, "old.zip");
        assertEquals(earlier.getLayer("c").getParam("W"), net.getLayer("c").getParam("W"), "same-name layer copied");
        assertEquals(slopes.reshape(1, 4), net.getLayer("p").getParam(ChannelPrelu.SLOPE_KEY),
                "PReLU slopes from the older slope convolution");
        assertEquals(earlier.getLayer("out").getParam("W"), net.getLayer("out").getParam("W"));
        assertEquals(List.of(), copied.fresh());
        assertEquals(net.numParams(), copied.parameters(), "every parameter copied");
    }

    @Test
    void refusesSharedLayersOfAnotherShape() {
        SettingsException e = assertThrows(SettingsException.class,
                () -> SharedLayers.copy(net(true, 3, 1), net(true, 5, 2), "old.zip"));
        assertTrue(e.getMessage().contains("init-from") && e.getMessage().contains("out"), e.getMessage());
    }
}
