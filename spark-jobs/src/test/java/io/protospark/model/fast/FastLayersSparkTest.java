package io.protospark.model.fast;

import io.protospark.jobs.spark.SharedSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network of fast layers trains under DL4J Spark parameter averaging (2 workers, local[2]) exactly as the same
 * network of stock layers does: the workers rebuild it from the shipped configuration with the fast layers, and the
 * averaged parameters match the stock run's. Both a layer list (channels-first) and a residual graph (channels-last)
 * are checked.
 */
class FastLayersSparkTest {

    private static MultiLayerConfiguration stock() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new Sgd(0.05))
                .weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
    }

    private static List<DataSet> data() {
        Nd4j.getRandom().setSeed(9);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 8, 1, 8, 8);
            INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 3);
            for (int i = 0; i < 8; i++) {
                // learnable: the class is given by the image mean (above 0.1, below -0.1, or between)
                double mean = x.slice(i).meanNumber().doubleValue();
                int c = mean > 0.1 ? 0 : mean < -0.1 ? 1 : 2;
                y.putScalar(i, c, 1.0);
            }
            out.add(new DataSet(x, y));
        }
        return out;
    }

    /** 2 workers of 8 examples, averaging every 2 minibatches, updater state kept. */
    private static ParameterAveragingTrainingMaster trainingMaster() {
        return new ParameterAveragingTrainingMaster.Builder(2, 8)
                .batchSizePerWorker(8)
                .averagingFrequency(2)
                .workerPrefetchNumBatches(0)
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .rngSeed(1)
                .build();
    }

    private static MultiLayerNetwork trainOnSpark(JavaSparkContext jsc, MultiLayerConfiguration conf,
                                                  INDArray initial, List<DataSet> batches) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.setParams(initial.dup());
        ParameterAveragingTrainingMaster tm = trainingMaster();
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, net, tm);
        JavaRDD<DataSet> rdd = jsc.parallelize(batches, 2);
        for (int epoch = 0; epoch < 2; epoch++) {
            sparkNet.fit(rdd);
        }
        return sparkNet.getNetwork();
    }

    /** A residual graph that {@link FastLayers#convert} runs channels-last. */
    private static ComputationGraphConfiguration residual() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new Sgd(0.05))
                .weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .hasBias(false).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .hasBias(false).activation(Activation.IDENTITY).build(), "relu")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "conv2")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "relu")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "add")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
    }

    private static ComputationGraph trainGraphOnSpark(JavaSparkContext jsc, ComputationGraphConfiguration conf,
                                                      INDArray initial, List<DataSet> batches) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        net.setParams(initial.dup());
        ParameterAveragingTrainingMaster tm = trainingMaster();
        SparkComputationGraph sparkNet = new SparkComputationGraph(jsc, net, tm);
        JavaRDD<DataSet> rdd = jsc.parallelize(batches, 2);
        for (int epoch = 0; epoch < 2; epoch++) {
            sparkNet.fit(rdd);
        }
        return sparkNet.getNetwork();
    }

    @Test
    void channelsLastGraphTrainsUnderParameterAveragingLikeTheStockOne() {
        ComputationGraph reference = new ComputationGraph(residual());
        reference.init();
        INDArray initial = reference.params().dup();
        List<DataSet> batches = data();
        ComputationGraphConfiguration fastConf = FastLayers.convert(residual());
        assertTrue(FastLayers.isChannelsLast(fastConf));
        JavaSparkContext jsc = SharedSpark.context();
        ComputationGraph stockNet = trainGraphOnSpark(jsc, residual(), initial, batches);
        ComputationGraph fastNet = trainGraphOnSpark(jsc, fastConf, initial, batches);

        assertTrue(FastLayers.isChannelsLast(fastNet.getConfiguration()),
                "the trained network is still channels-last");
        assertFalse(initial.equalsWithEps(fastNet.params(), 1e-3), "parameter averaging moved the parameters");
        double diff = stockNet.params().sub(fastNet.params()).amaxNumber().doubleValue();
        double scale = Math.max(1.0, stockNet.params().amaxNumber().doubleValue());
        assertTrue(diff <= 2e-3 * scale, "channels-last and stock parameters after Spark training differ by "
                + diff);
        INDArray x = batches.get(0).getFeatures();
        double out = stockNet.outputSingle(x).sub(fastNet.outputSingle(x)).amaxNumber().doubleValue();
        assertTrue(out <= 1e-3, "the trained networks' outputs on NCHW input differ by " + out);
    }

    @Test
    void fastNetworkTrainsUnderParameterAveragingLikeTheStockOne() {
        MultiLayerNetwork reference = new MultiLayerNetwork(stock());
        reference.init();
        INDArray initial = reference.params().dup();
        List<DataSet> batches = data();
        JavaSparkContext jsc = SharedSpark.context();
        MultiLayerNetwork stockNet = trainOnSpark(jsc, stock(), initial, batches);
        MultiLayerNetwork fastNet = trainOnSpark(jsc, FastLayers.convert(stock()), initial, batches);

        assertTrue(FastLayers.isFast(fastNet.getLayerWiseConfigurations().getConf(0).getLayer()),
                "the trained network still has its fast layers");
        assertFalse(initial.equalsWithEps(fastNet.params(), 1e-3), "parameter averaging moved the parameters");
        double diff = stockNet.params().sub(fastNet.params()).amaxNumber().doubleValue();
        double scale = Math.max(1.0, stockNet.params().amaxNumber().doubleValue());
        assertTrue(diff <= 2e-3 * scale, "fast and stock parameters after Spark training differ by " + diff);
    }
}
