package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What {@link ClipTextModel#forward} returns. Letters: B batch, T sequence length (77), D width.
 *
 * @param lastHiddenState [B, T, D] after the final LayerNorm: the UNet's encoder_hidden_states
 * @param pooled [B, D], lastHiddenState at each sequence's EOS position
 * @param hiddenStates when asked for: the embeddings then each layer's output, L + 1 arrays
 *     [B, T, D] before the final LayerNorm (transformers' {@code hidden_states}); else empty
 */
public record ClipTextOutput(NDArray lastHiddenState, NDArray pooled, List<NDArray> hiddenStates) {

    public ClipTextOutput {
        hiddenStates = List.copyOf(hiddenStates);
    }
}
