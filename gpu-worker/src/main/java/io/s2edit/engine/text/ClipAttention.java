package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.MultiHead;

/**
 * transformers {@code CLIPAttention}: multi-head self-attention, softmax(q k^T / sqrt(d) + mask) v,
 * h heads of width d = D / h. Keys: q_proj, k_proj, v_proj, out_proj (all with bias).
 */
final class ClipAttention extends Module {

    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final int heads;

    ClipAttention(ClipTextConfig config) {
        long d = config.hiddenSize();
        this.qProj = child("q_proj", new Linear(d, d, true));
        this.kProj = child("k_proj", new Linear(d, d, true));
        this.vProj = child("v_proj", new Linear(d, d, true));
        this.outProj = child("out_proj", new Linear(d, d, true));
        this.heads = config.numAttentionHeads();
    }

    /** x [B, T, D], additive mask [T, T] -> [B, T, D]. */
    NDArray forward(NDArray x, NDArray mask) {
        NDArray q = MultiHead.split(qProj.forward(x), heads); // [B*h, T, d]
        NDArray k = MultiHead.split(kProj.forward(x), heads);
        NDArray v = MultiHead.split(vProj.forward(x), heads);
        NDArray attended = MultiHead.apply(MultiHead.probabilities(q, k, mask), v); // [B*h, T, d]
        return outProj.forward(MultiHead.merge(attended, heads)); // [B, T, D]
    }
}
