package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import io.s2edit.engine.nn.MultiHead;

/**
 * The VAE mid block's spatial self-attention (diffusers {@code Attention} with one head of width C,
 * {@code group_norm}, biases on every projection, residual connection, output scale 1): x +
 * to_out(softmax(q k^T / sqrt(C)) v) over the H*W positions of group_norm(x). Unlike the UNet's
 * attention it is not swappable: no editing method touches the VAE. Keys: group_norm, to_q, to_k,
 * to_v, to_out.0.
 */
final class VaeAttention extends Module {

    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;

    VaeAttention(int channels, int groups) {
        this.groupNorm = child("group_norm", new GroupNorm(groups, channels, ResnetBlock2D.EPS));
        this.toQ = child("to_q", new Linear(channels, channels, true));
        this.toK = child("to_k", new Linear(channels, channels, true));
        this.toV = child("to_v", new Linear(channels, channels, true));
        ModuleList<Linear> out = child("to_out", new ModuleList<>());
        this.toOut = out.add(new Linear(channels, channels, true)); // to_out.1 is dropout, no parameters
    }

    /** x [B, C, H, W] -> [B, C, H, W]. */
    NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long b = shape.get(0);
        long c = shape.get(1);
        NDArray tokens = groupNorm.forward(x).reshape(b, c, -1).transpose(0, 2, 1); // [B, H*W, C]
        NDArray q = MultiHead.split(toQ.forward(tokens), 1); // [B, H*W, C]
        NDArray k = MultiHead.split(toK.forward(tokens), 1);
        NDArray v = MultiHead.split(toV.forward(tokens), 1);
        NDArray attended = MultiHead.merge(MultiHead.apply(MultiHead.probabilities(q, k, null), v), 1); // [B, H*W, C]
        NDArray out = toOut.forward(attended).transpose(0, 2, 1).reshape(shape); // [B, C, H, W]
        return x.add(out);
    }
}
