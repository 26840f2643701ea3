package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fast layers' refusals: each names what it got and what it expected. */
class FastLayersErrorsTest {
    @Test
    void nhwcFlattenRefusesAnythingButMaps() {
        NhwcFlatten flat = new NhwcFlatten(2, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> flat.preProcess(Nd4j.rand(DataType.FLOAT, 4, 12), 4, LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(e.getMessage().contains("NHWC flatten") && e.getMessage().contains("[4, 12]"), e.getMessage());
    }

    @Test
    void fastAddRefusesAnotherOperation() {
        FastAdd add = new FastAdd();
        add.setOp(ElementWiseVertex.Op.Product); // as a hand-edited JSON could set it
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(4, 4, 2))
                .addLayer("a", new ConvolutionLayer.Builder(1, 1).nOut(2).build(), "in")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(2).build(), "in")
                .addVertex("sum", add, "a", "b")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "sum")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ComputationGraph(conf).init());
        assertTrue(e.getMessage().contains("'sum'") && e.getMessage().contains("Product"), e.getMessage());
    }

    @Test
    void batchNormBackwardNeedsAForwardPassAndAMatchingGradient() {
        DnnlBatchNorm bn = new DnnlBatchNorm(new BatchNormReference.Unused(), false);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4);
        INDArray gamma = Nd4j.ones(DataType.FLOAT, 1, 3);
        INDArray beta = Nd4j.zeros(DataType.FLOAT, 1, 3);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        bn.preOutput(x, false, x.shape(), gamma, beta, beta, gamma, 0.9, 1e-5, CNN2DFormat.NCHW, ws); // inference
        IllegalStateException noForward = assertThrows(IllegalStateException.class, () -> bn.backpropGradient(x, x,
                x.shape(), gamma, beta, beta.dup(), beta.dup(), 1e-5, CNN2DFormat.NCHW, ws));
        assertTrue(noForward.getMessage().contains("without a training forward pass"), noForward.getMessage());

        bn.preOutput(x, true, x.shape(), gamma, beta, beta, gamma, 0.9, 1e-5, CNN2DFormat.NCHW, ws);
        INDArray wrong = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 5);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> bn.backpropGradient(x,
                wrong, x.shape(), gamma, beta, beta.dup(), beta.dup(), 1e-5, CNN2DFormat.NCHW, ws));
        assertTrue(shape.getMessage().contains("[2, 3, 4, 5]") && shape.getMessage().contains("[2, 3, 4, 4]"),
                shape.getMessage());
    }

    @Test
    void fusedBatchNormOnTheFallbackNeedsATrainingForwardPass() {
        DnnlBatchNorm bn = new DnnlBatchNorm(new ChannelBatchNorm(new BatchNormReference.Unused()), true);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 4);
        INDArray gamma = Nd4j.ones(DataType.DOUBLE, 1, 3);
        INDArray beta = Nd4j.zeros(DataType.DOUBLE, 1, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bn.backpropGradient(x, x,
                x.shape(), gamma, beta, beta.dup(), beta.dup(), 1e-5, CNN2DFormat.NCHW,
                LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(e.getMessage().contains("batch norm + ReLU"), e.getMessage());
    }
}
