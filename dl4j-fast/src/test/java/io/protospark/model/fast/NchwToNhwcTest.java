package io.protospark.model.fast;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NchwToNhwcTest {
    @Test
    void permutesImagesForwardAndGradientsBack() {
        NchwToNhwc p = new NchwToNhwc();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 5);
        INDArray y = p.preProcess(x, 2, LayerWorkspaceMgr.noWorkspaces());
        assertArrayEquals(new long[]{2, 4, 5, 3}, y.shape());
        assertEquals('c', y.ordering());
        assertEquals(x.getDouble(1, 2, 3, 4), y.getDouble(1, 3, 4, 2), 0.0);
        INDArray back = p.backprop(y, 2, LayerWorkspaceMgr.noWorkspaces());
        assertEquals(x, back);
        assertEquals(InputType.convolutional(4, 5, 3, CNN2DFormat.NHWC),
                p.getOutputType(InputType.convolutional(4, 5, 3)));
    }

    @Test
    void refusesWhatIsNotAnImageBatch() {
        NchwToNhwc p = new NchwToNhwc();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.preProcess(Nd4j.rand(DataType.FLOAT, 2, 3), 2, LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.getOutputType(InputType.feedForward(3)));
    }
}
