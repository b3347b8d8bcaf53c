package io.s2edit.s2edit.attention;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.unet.AttentionContext;

/**
 * One rewrite of a layer's attention probabilities, between softmax and the weighted sum. Storing
 * maps, S2Edit's spatial control (Eq. 3: A*_[I] = A_[I] ⊙ M_obj) and Prompt-to-Prompt's
 * replace / refine / reweight are each an edit; {@link AttentionControl} chains them on every
 * attention layer of a UNet.
 */
@FunctionalInterface
public interface AttentionEdit {

    /**
     * @param probabilities [B*h, T, S], batch-major (row b*h + head), rows summing to 1
     * @return the edited probabilities, same shape
     */
    NDArray edit(NDArray probabilities, AttentionContext context);
}
