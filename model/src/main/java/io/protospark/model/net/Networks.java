package io.protospark.model.net;

import io.protospark.model.prototype.PrototypeSet;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds the network a {@link ModelSettings} describes: backbone → embedding (d, no activation) → head.
 *
 * <p>The fixed head follows Regular Polytope Networks (Pernici et al., TNNLS 2021): a dense layer without bias
 * whose weight is Pᵀ (P the K×d prototype matrix, unit rows) and a parameter-free softmax cross-entropy
 * {@link LossLayer}. Logits are z_k = p_k · f = ‖f‖ cos θ_k. The head passes gradients to the embedding but its
 * own update is exactly zero: plain SGD with learning rate 0 and no regularisation (see {@link FixedHead}).
 */
public final class Networks {
    /** Layer name of the embedding layer. */
    public static final String EMBEDDING = "embedding";
    /** Layer name of the fixed prototype layer (fixed head) or the learned output layer. */
    public static final String HEAD = "head";

    private Networks() {
    }

    /** Builds and initialises the network; for a fixed head, {@code prototypes} must be K×d as configured. */
    public static MultiLayerNetwork build(ModelSettings s, PrototypeSet prototypes) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(s));
        net.init();
        if (s.head() == HeadKind.FIXED) {
            FixedHead.apply(net, prototypes);
        }
        return net;
    }

    /** The network configuration alone (JSON-serialisable, as DL4J Spark broadcasts it). */
    public static MultiLayerConfiguration configuration(ModelSettings s) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(DataType.FLOAT)
                .updater(updater(s))
                .weightInit(WeightInit.RELU)
                .list();
        // weight decay is set per trainable layer, never globally: the fixed head must carry no regularisation
        double wd = s.weightDecay();
        int idx = 0;
        if (s.backbone() == BackboneKind.SMALL_CNN) {
            for (int i = 0; i < s.convChannels().size(); i++) {
                list.layer(idx++, new ConvolutionLayer.Builder(3, 3)
                        .name("conv" + (i + 1))
                        .nOut(s.convChannels().get(i))
                        .stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU)
                        .l2(wd)
                        .build());
                list.layer(idx++, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .name("pool" + (i + 1))
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build());
            }
        }
        for (int i = 0; i < s.hidden().size(); i++) {
            list.layer(idx++, new DenseLayer.Builder().name("dense" + (i + 1)).nOut(s.hidden().get(i))
                    .activation(Activation.RELU).l2(wd).build());
        }
        list.layer(idx++, new DenseLayer.Builder().name(EMBEDDING).nOut(s.embeddingDim())
                .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).l2(wd).build());
        if (s.head() == HeadKind.FIXED) {
            list.layer(idx++, new DenseLayer.Builder().name(HEAD)
                    .nIn(s.embeddingDim()).nOut(s.classes()).hasBias(false)
                    .activation(Activation.IDENTITY)
                    .updater(FixedHead.FROZEN)
                    .regularization(java.util.List.of())
                    .build());
            list.layer(idx, new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).name("loss")
                    .activation(Activation.SOFTMAX).build());
        } else {
            list.layer(idx, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name(HEAD)
                    .nOut(s.classes()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).l2(wd).build());
        }
        list.setInputType(s.backbone() == BackboneKind.SMALL_CNN
                ? InputType.convolutionalFlat(s.height(), s.width(), s.channels())
                : InputType.feedForward((long) s.height() * s.width() * s.channels()));
        return list.build();
    }

    private static IUpdater updater(ModelSettings s) {
        return switch (s.optimizer()) {
            case ADAM -> new Adam(s.learningRate());
            case NESTEROV -> new Nesterovs(s.learningRate(), s.momentum());
        };
    }
}
