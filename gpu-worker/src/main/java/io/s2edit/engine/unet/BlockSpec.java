package io.s2edit.engine.unet;

/**
 * The arguments diffusers' {@code get_down_block} / {@code get_mid_block} / {@code get_up_block}
 * pass to one UNet level, derived from {@link UnetConfig} by {@link UNet2DConditionModel}.
 *
 * @param inChannels down: channels entering the level; up: channels of the deepest skip it takes
 * @param outChannels channels the level's resnets produce
 * @param prevOutputChannels up blocks only: channels coming from the level below (0 otherwise)
 * @param tembChannels time-embedding width E
 * @param layers resnets in the level (up blocks: layers_per_block + 1)
 * @param transformerLayers BasicTransformerBlocks per Transformer2DModel
 * @param heads attention heads (head width = outChannels / heads)
 * @param crossAttentionDim text-embedding width D
 * @param groups GroupNorm groups
 * @param eps resnet GroupNorm eps
 * @param useLinearProjection Linear instead of 1x1 conv proj_in/proj_out
 * @param resample whether the level ends with a Downsample2D / Upsample2D
 * @param downsamplePadding padding of the downsampling conv
 * @param outputScaleFactor resnet output_scale_factor
 */
public record BlockSpec(int inChannels, int outChannels, int prevOutputChannels, int tembChannels, int layers,
        int transformerLayers, int heads, int crossAttentionDim, int groups, float eps, boolean useLinearProjection,
        boolean resample, int downsamplePadding, float outputScaleFactor) {

    public BlockSpec {
        if (outChannels % heads != 0) {
            throw new IllegalArgumentException(outChannels + " channels do not split into " + heads + " attention heads");
        }
    }

    /** A resnet of this level. */
    ResnetBlock2D resnet(int in, int out) {
        return new ResnetBlock2D(in, out, tembChannels, groups, eps, outputScaleFactor);
    }

    /** A Transformer2DModel of this level, over outChannels. */
    Transformer2DModel transformer() {
        return new Transformer2DModel(heads, outChannels / heads, outChannels, transformerLayers, crossAttentionDim,
                groups, useLinearProjection);
    }
}
