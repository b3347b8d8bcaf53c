package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * diffusers VAE {@code Encoder} (double_z): conv_in, down_blocks, mid_block, conv_norm_out, SiLU,
 * conv_out to 2 * latent channels (mean and log-variance). Letters: B batch, H, W image size,
 * n = number of blocks, f = 2^(n-1), L latent channels.
 */
final class Encoder extends Module {

    private final Conv2d convIn;
    private final ModuleList<DownEncoderBlock2D> downBlocks;
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    Encoder(VaeConfig config) {
        List<Integer> widths = config.blockOutChannels();
        int groups = config.normNumGroups();
        this.convIn = child("conv_in", new Conv2d(config.inChannels(), widths.get(0), 3, 1, 1));
        this.downBlocks = child("down_blocks", new ModuleList<>());
        int out = widths.get(0);
        for (int i = 0; i < widths.size(); i++) {
            int in = out;
            out = widths.get(i);
            downBlocks.add(new DownEncoderBlock2D(in, out, config.layersPerBlock(), groups, i < widths.size() - 1));
        }
        int last = widths.get(widths.size() - 1);
        this.midBlock = child("mid_block", new UNetMidBlock2D(last, groups, config.midBlockAddAttention()));
        this.convNormOut = child("conv_norm_out", new GroupNorm(groups, last, ResnetBlock2D.EPS));
        this.convOut = child("conv_out", new Conv2d(last, 2L * config.latentChannels(), 3, 1, 1));
    }

    /** image [B, in, H, W] -> moments [B, 2L, H/f, W/f]. */
    NDArray forward(NDArray image) {
        NDArray x = convIn.forward(image); // [B, C0, H, W]
        for (DownEncoderBlock2D block : downBlocks) {
            x = block.forward(x);
        }
        x = midBlock.forward(x); // [B, C_last, H/f, W/f]
        return convOut.forward(Activations.silu(convNormOut.forward(x)));
    }
}
