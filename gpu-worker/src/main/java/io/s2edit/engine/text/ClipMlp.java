package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;

/** transformers {@code CLIPMLP}: fc2(act(fc1(x))), D -> I -> D, act quick-GELU or GELU. Keys: fc1, fc2. */
final class ClipMlp extends Module {

    private final Linear fc1;
    private final Linear fc2;
    private final boolean quickGelu;

    ClipMlp(ClipTextConfig config) {
        this.fc1 = child("fc1", new Linear(config.hiddenSize(), config.intermediateSize(), true));
        this.fc2 = child("fc2", new Linear(config.intermediateSize(), config.hiddenSize(), true));
        this.quickGelu = config.hiddenAct().equals("quick_gelu");
    }

    /** x [B, T, D] -> [B, T, D]. */
    NDArray forward(NDArray x) {
        NDArray h = fc1.forward(x); // [B, T, I]
        return fc2.forward(quickGelu ? Activations.quickGelu(h) : Activations.gelu(h));
    }
}
