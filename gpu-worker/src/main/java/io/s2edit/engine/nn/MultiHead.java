package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;

/**
 * Multi-head attention arithmetic shared by the UNet, the VAE and CLIP. Letters: B batch, T query
 * length, S key length, C channels, h heads, d = C / h.
 *
 * <p>Attention probabilities are materialised ([B*h, T, S]) rather than fused, because
 * attention processors (storing, Prompt-to-Prompt, S2Edit's spatial mask) read and rewrite them.
 */
public final class MultiHead {

    private MultiHead() {
    }

    /** [B, T, C] -> [B*h, T, d]. */
    public static NDArray split(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long c = x.getShape().get(2);
        return x.reshape(b, t, heads, c / heads) // [B, T, h, d]
                .transpose(0, 2, 1, 3) // [B, h, T, d]
                .reshape(b * heads, t, c / heads); // [B*h, T, d]
    }

    /** [B*h, T, d] -> [B, T, C]. */
    public static NDArray merge(NDArray x, int heads) {
        long bh = x.getShape().get(0);
        long t = x.getShape().get(1);
        long d = x.getShape().get(2);
        return x.reshape(bh / heads, heads, t, d) // [B, h, T, d]
                .transpose(0, 2, 1, 3) // [B, T, h, d]
                .reshape(bh / heads, t, heads * d); // [B, T, C]
    }

    /** softmax(q k^T / sqrt(d)) over keys (optionally plus an additive mask [T, S] or [B*h, T, S]): [B*h, T, S]. */
    public static NDArray probabilities(NDArray q, NDArray k, NDArray additiveMask) {
        float scale = (float) (1.0 / Math.sqrt(q.getShape().get(2)));
        NDArray scores = Scalars.mul(q, scale).batchMatMul(k.transpose(0, 2, 1)); // [B*h, T, S]
        if (additiveMask != null) {
            scores = scores.add(additiveMask);
        }
        return scores.softmax(-1);
    }

    /** probs [B*h, T, S] x v [B*h, S, d] -> [B*h, T, d]. */
    public static NDArray apply(NDArray probs, NDArray v) {
        return probs.batchMatMul(v);
    }
}
