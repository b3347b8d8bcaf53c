package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import io.s2edit.engine.nn.MultiHead;
import java.util.Objects;

/**
 * diffusers {@code Attention} as SD v1 builds it: {@code to_q} [h*d, C], {@code to_k}/{@code to_v}
 * [h*d, D] without bias, {@code to_out.0} [C, h*d] with bias (to_out.1 is dropout). Self-attention
 * when D = C and no context is given ({@code attn1}), cross-attention over the text embedding
 * otherwise ({@code attn2}). The attention itself is delegated to a replaceable
 * {@link AttentionProcessor}.
 *
 * <p>Letters: B batch, T query length, S key length, C query width, D context width, h heads,
 * d = head width.
 */
public final class Attention extends Module {

    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final ModuleList<Linear> toOut;
    private final int heads;
    private final boolean crossAttention;
    private String path;
    private AttentionProcessor processor = AttnProcessor.DEFAULT;

    /**
     * @param queryDim C
     * @param crossAttentionDim D, or 0 for self-attention
     * @param heads h
     * @param headDim d
     */
    public Attention(int queryDim, int crossAttentionDim, int heads, int headDim) {
        int inner = heads * headDim;
        int contextDim = crossAttentionDim > 0 ? crossAttentionDim : queryDim;
        this.toQ = child("to_q", new Linear(queryDim, inner, false));
        this.toK = child("to_k", new Linear(contextDim, inner, false));
        this.toV = child("to_v", new Linear(contextDim, inner, false));
        this.toOut = child("to_out", new ModuleList<>());
        toOut.add(new Linear(inner, queryDim, true));
        this.heads = heads;
        this.crossAttention = crossAttentionDim > 0;
    }

    /**
     * x [B, T, C], context [B, S, D] (null for self-attention); the query comes from an H x W map.
     * Returns [B, T, C].
     */
    public NDArray forward(NDArray x, NDArray context, long height, long width) {
        if (crossAttention == (context == null)) {
            throw new IllegalArgumentException("attention " + path + ": " + (crossAttention
                    ? "cross-attention needs encoder hidden states" : "self-attention takes no context"));
        }
        NDArray source = context == null ? x : context;
        NDArray q = MultiHead.split(toQ.forward(x), heads); // [B*h, T, d]
        NDArray k = MultiHead.split(toK.forward(source), heads); // [B*h, S, d]
        NDArray v = MultiHead.split(toV.forward(source), heads); // [B*h, S, d]
        AttentionContext call = new AttentionContext(path, crossAttention, heads, height, width);
        NDArray attended = processor.process(q, k, v, call); // [B*h, T, d]
        return toOut.get(0).forward(MultiHead.merge(attended, heads)); // [B, T, C]
    }

    public int heads() {
        return heads;
    }

    public boolean isCrossAttention() {
        return crossAttention;
    }

    /** Module path in the UNet, e.g. {@code mid_block.attentions.0.transformer_blocks.0.attn1}. */
    public String path() {
        return path;
    }

    public AttentionProcessor processor() {
        return processor;
    }

    public void setProcessor(AttentionProcessor processor) {
        this.processor = Objects.requireNonNull(processor, "processor");
    }

    /** Called once by the owning model with this layer's module path. */
    void bind(String modulePath) {
        if (path != null && !path.equals(modulePath)) {
            throw new IllegalStateException("attention layer already bound to " + path + ", not " + modulePath);
        }
        this.path = modulePath;
    }
}
