package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's batch-norm layer with its float 4-D passes handed straight to {@link DnnlBatchNorm}, and the per-step
 * bookkeeping around them done in a few Java loops over the channels: the running-statistics updates DL4J computes
 * as gradients ((μ − μ_batch)·(1 − d), and log10(σ_t / σ_t+1) for the log-σ parameterisation) and, for inference,
 * the variance from log10 σ. DL4J does each with around ten native array ops per layer and step, which on a CIFAR
 * ResNet took longer than the normalisation itself. Everything else (double precision, other ranks, locked γ/β, a
 * pass oneDNN did not run) is the stock layer with the helper installed.
 */
final class DnnlBatchNormLayer extends BatchNormalization {
    private static final double ONE_ON_2LN10 = 1.0 / (2 * Math.log(10.0));
    private final DnnlBatchNorm fast;
    /** The running variance from log10 σ, for inference (outside any workspace, reused). */
    private INDArray inferenceVariance;

    DnnlBatchNormLayer(NeuralNetConfiguration conf, DataType dataType, DnnlBatchNorm fast) {
        super(conf, dataType);
        this.fast = fast;
    }

    private boolean takes(INDArray x) {
        return x != null && x.rank() == 4 && x.dataType() == DataType.FLOAT && dataType == DataType.FLOAT
                && !layerConf().isLockGammaBeta() && Dnnl.engine() != null && helperCountFail == 0;
    }

    private org.deeplearning4j.nn.conf.layers.BatchNormalization bnConf() {
        return layerConf();
    }

    @Override
    public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
        if (!takes(x)) {
            return super.preOutput(x, training, workspaceMgr);
        }
        org.deeplearning4j.nn.conf.layers.BatchNormalization c = bnConf();
        CNN2DFormat format = c.getCnn2DFormat();
        int channelDim = format == CNN2DFormat.NHWC ? 3 : 1;
        if (x.size(channelDim) != c.getNOut()) {
            throw new IllegalArgumentException("batch norm '" + c.getLayerName() + "': input.size(" + channelDim
                    + ") = " + x.size(channelDim) + ", expected " + c.getNOut() + " (shape "
                    + java.util.Arrays.toString(x.shape()) + ")");
        }
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA);
        INDArray beta = getParam(BatchNormalizationParamInitializer.BETA);
        INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        boolean train = training == TrainingMode.TRAIN;
        INDArray var = train ? null : runningVariance(); // a training pass uses the batch's statistics
        return fast.preOutput(x, train, x.shape(), gamma, beta, mean, var, c.getDecay(), c.getEps(), format,
                workspaceMgr);
    }

    /** The running variance: the parameter, or (10^log10 σ)² in a reused array. */
    private INDArray runningVariance() {
        if (!bnConf().isUseLogStd()) {
            return getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
        }
        INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        int channels = (int) log10Std.length();
        if (inferenceVariance == null || inferenceVariance.length() != channels) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                inferenceVariance = Nd4j.createUninitialized(DataType.FLOAT, channels);
            }
        }
        for (int k = 0; k < channels; k++) {
            double std = Math.pow(10.0, log10Std.getDouble(k));
            inferenceVariance.putScalar(k, std * std);
        }
        return inferenceVariance;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!takes(input) || !fast.ranLastForward() || epsilon.rank() != 4) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        org.deeplearning4j.nn.conf.layers.BatchNormalization c = bnConf();
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA);
        INDArray beta = getParam(BatchNormalizationParamInitializer.BETA);
        Pair<Gradient, INDArray> ret = fast.backpropGradient(input, epsilon, epsilon.shape(), gamma, beta,
                gradientViews.get(BatchNormalizationParamInitializer.GAMMA),
                gradientViews.get(BatchNormalizationParamInitializer.BETA), c.getEps(), c.getCnn2DFormat(),
                workspaceMgr);

        // running statistics as DL4J's "distributed safe" gradients: θ_t+1 = θ_t − Δ
        INDArray batchMean = fast.batchMean();
        INDArray batchVar = fast.batchVariance();
        double decay = c.getDecay();
        INDArray globalMean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray dMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        int channels = (int) globalMean.length();
        for (int k = 0; k < channels; k++) {
            dMean.putScalar(k, (globalMean.getDouble(k) - batchMean.getDouble(k)) * (1 - decay));
        }
        ret.getFirst().setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
        if (c.isUseLogStd()) {
            INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            INDArray dLog10Std = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            for (int k = 0; k < channels; k++) {
                double std = Math.pow(10.0, log10Std.getDouble(k));
                double var = std * std;
                double next = decay * var + (1 - decay) * batchVar.getDouble(k);
                dLog10Std.putScalar(k, Math.log(var / next) * ONE_ON_2LN10);
            }
            ret.getFirst().setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dLog10Std);
        } else {
            INDArray globalVar = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
            INDArray dVar = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
            for (int k = 0; k < channels; k++) {
                dVar.putScalar(k, (globalVar.getDouble(k) - batchVar.getDouble(k)) * (1 - decay));
            }
            ret.getFirst().setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, dVar);
        }
        return ret;
    }
}
