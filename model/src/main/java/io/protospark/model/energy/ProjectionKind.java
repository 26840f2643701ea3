package io.protospark.model.energy;

import io.protospark.config.Configs;

/**
 * CoMHE's projections of a layer's neurons before the energy is taken (Lin et al., CVPR 2020).
 * {@code none}: plain (MHE) energy. {@code random}: n_p fresh Gaussian projections every iteration, energies
 * averaged. {@code angle-preserving}: one learnable projection P trained to preserve the neurons' pairwise cosines.
 * {@code adversarial}: one learnable P trained by gradient ascent on the projected energy.
 */
public enum ProjectionKind {
    NONE, RANDOM, ANGLE_PRESERVING, ADVERSARIAL;

    /** The config spelling: none, random, angle-preserving, adversarial. */
    public String configName() {
        return Configs.configName(this);
    }

    /** Whether this kind keeps a learnable projection matrix. */
    public boolean learnable() {
        return this == ANGLE_PRESERVING || this == ADVERSARIAL;
    }
}
