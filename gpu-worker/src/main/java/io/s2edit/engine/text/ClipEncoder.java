package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/** transformers {@code CLIPEncoder}: the stack of layers. Keys: layers.{i}. */
final class ClipEncoder extends Module {

    private final ModuleList<ClipEncoderLayer> layers;

    ClipEncoder(ClipTextConfig config) {
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new ClipEncoderLayer(config));
        }
    }

    /**
     * x [B, T, D], additive mask [T, T] -> [B, T, D]. When {@code hiddenStates} is not null, each
     * layer's output is appended to it (the caller adds the embeddings first, as transformers does).
     */
    NDArray forward(NDArray x, NDArray mask, List<NDArray> hiddenStates) {
        for (ClipEncoderLayer layer : layers) {
            x = layer.forward(x, mask);
            if (hiddenStates != null) {
                hiddenStates.add(x);
            }
        }
        return x;
    }
}
