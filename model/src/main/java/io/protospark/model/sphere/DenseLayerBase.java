package io.protospark.model.sphere;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;

/** Sizes and input handling shared by the dense sphere layers: a flat input of nIn features (CNN input flattened). */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
abstract class DenseLayerBase extends SphereLayerBase {
    private static final long serialVersionUID = 1L;

    protected DenseLayerBase() {
    }

    @Override
    public long fanIn() {
        return nIn;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(nOut);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (nIn <= 0 || override) {
            nIn = inputType.arrayElementsPerExample();
            setLayerParams(null); // parameter shapes depend on nIn; drop any cached definition
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return flattenIfCnn(inputType);
    }
}
