package io.protospark.model.net;

import io.protospark.model.fast.FastBatchNormalization;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;

/**
 * DL4J's {@link BatchNormalization}, identical in every setting and parameter, except that its scale γ and shift β
 * take the layer's regularisation (weight decay), as PyTorch's {@code weight_decay} decays every parameter. DL4J's own
 * layer ignores any regularisation set on it. The running mean and variance are statistics, never decayed.
 * Built by {@link Networks} when weight decay reaches batch norm ({@code optimizer.no-decay} without {@code bn});
 * the no-argument constructor is for JSON.
 */
public class DecayedBatchNormalization extends BatchNormalization {
    private static final long serialVersionUID = 1L;

    public DecayedBatchNormalization() {
        super();
    }

    /** The layer's regularisation for γ and β, none for the running statistics (the fast batch norm's rule). */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return FastBatchNormalization.gammaBeta(this, paramName);
    }

    /** A copy of {@code bn} (of class exactly {@link BatchNormalization}) whose γ and β take its regularisation. */
    public static DecayedBatchNormalization of(BatchNormalization bn) {
        if (bn.getClass() != BatchNormalization.class) {
            throw new IllegalArgumentException("expected DL4J's BatchNormalization, got " + bn.getClass().getName());
        }
        BatchNormalization copy = bn.clone();
        DecayedBatchNormalization out = new DecayedBatchNormalization();
        for (Class<?> c = BatchNormalization.class; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    f.set(out, f.get(copy));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("cannot copy " + f, e);
                }
            }
        }
        return out;
    }
}
