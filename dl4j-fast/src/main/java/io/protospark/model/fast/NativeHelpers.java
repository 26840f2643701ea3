package io.protospark.model.fast;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.lang.reflect.Field;

/**
 * Installs DL4J's native-op layer helpers on instantiated stock layers.
 *
 * <p>DL4J 1.0.0-M2.1 ships helpers that run convolution, pooling and batch normalisation as single libnd4j ops
 * ({@code conv2d}/{@code conv2d_bp}, {@code maxpool2d}/{@code avgpool2d} and their {@code _bp}, {@code batchnorm}/
 * {@code batchnorm_bp}); in a libnd4j built with oneDNN those ops run on oneDNN's kernels. The stock layers never get
 * them: their helper switch asks the native environment by reflection under a class name M2.1 moved, fails silently
 * and leaves the helper {@code null}, so every layer falls back to DL4J's Java im2col / element-wise code. Here the
 * helper is put into the layer's {@code helper} field directly after the stock layer is built, which keeps the rest of
 * the layer (parameters, gradients views, updater, workspaces, serialisation) exactly as DL4J makes it.
 */
final class NativeHelpers {
    private static volatile Boolean oneDnn;

    private NativeHelpers() {
    }

    /** Whether the loaded libnd4j was built with oneDNN (the {@code -onednn} nd4j-native classifiers). */
    static boolean oneDnnBuild() {
        Boolean known = oneDnn;
        if (known == null) {
            String info;
            try {
                Nd4j.getExecutioner(); // loads the backend; NativeOpsHolder alone fails before it
                info = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
            } catch (RuntimeException | LinkageError e) {
                info = "";
            }
            known = info != null && info.toUpperCase().contains("ONEDNN");
            oneDnn = known;
        }
        return known;
    }

    static Layer installConvolution(Layer layer, DataType dataType) {
        setHelper(ConvolutionLayer.class, layer, new MKLDNNConvHelper(dataType));
        return layer;
    }

    static Layer installSubsampling(Layer layer, DataType dataType) {
        setHelper(SubsamplingLayer.class, layer, new MKLDNNSubsamplingHelper(dataType));
        return layer;
    }

    /**
     * Batch norm on oneDNN directly for float maps ({@link DnnlBatchNorm}), else on this package's kernels
     * ({@link ChannelBatchNorm}) or libnd4j's op; with {@code relu} the helper's output is max(y, 0).
     */
    static DnnlBatchNorm batchNormalizationHelper(DataType dataType, boolean relu) {
        return new DnnlBatchNorm(new ChannelBatchNorm(new MKLDNNBatchNormHelper(dataType)), relu);
    }

    static Layer installBatchNormalization(Layer layer, DnnlBatchNorm helper) {
        setHelper(BatchNormalization.class, layer, helper);
        return layer;
    }

    private static void setHelper(Class<?> owner, Layer layer, LayerHelper helper) {
        if (!owner.isInstance(layer)) {
            throw new IllegalStateException("expected a " + owner.getName() + " from the layer configuration, found "
                    + layer.getClass().getName());
        }
        try {
            Field field = owner.getDeclaredField("helper");
            field.setAccessible(true);
            field.set(layer, helper);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot install the native helper on " + owner.getName()
                    + " (field 'helper'); this code targets DL4J 1.0.0-M2.1", e);
        }
    }
}
