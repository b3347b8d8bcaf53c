package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * diffusers VAE {@code Decoder}: conv_in, mid_block, up_blocks (block widths reversed, each with
 * layers_per_block + 1 resnets), conv_norm_out, SiLU, conv_out. Letters as in {@link Encoder}.
 */
final class Decoder extends Module {

    private final Conv2d convIn;
    private final UNetMidBlock2D midBlock;
    private final ModuleList<UpDecoderBlock2D> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    Decoder(VaeConfig config) {
        List<Integer> widths = config.blockOutChannels();
        int groups = config.normNumGroups();
        int n = widths.size();
        int deepest = widths.get(n - 1);
        this.convIn = child("conv_in", new Conv2d(config.latentChannels(), deepest, 3, 1, 1));
        this.midBlock = child("mid_block", new UNetMidBlock2D(deepest, groups, config.midBlockAddAttention()));
        this.upBlocks = child("up_blocks", new ModuleList<>());
        int out = deepest;
        for (int i = 0; i < n; i++) {
            int in = out;
            out = widths.get(n - 1 - i);
            upBlocks.add(new UpDecoderBlock2D(in, out, config.layersPerBlock() + 1, groups, i < n - 1));
        }
        this.convNormOut = child("conv_norm_out", new GroupNorm(groups, widths.get(0), ResnetBlock2D.EPS));
        this.convOut = child("conv_out", new Conv2d(widths.get(0), config.outChannels(), 3, 1, 1));
    }

    /** z [B, L, h, w] -> image [B, out, h*f, w*f]. */
    NDArray forward(NDArray z) {
        NDArray x = midBlock.forward(convIn.forward(z)); // [B, C_last, h, w]
        for (UpDecoderBlock2D block : upBlocks) {
            x = block.forward(x);
        }
        return convOut.forward(Activations.silu(convNormOut.forward(x))); // [B, out, h*f, w*f]
    }
}
