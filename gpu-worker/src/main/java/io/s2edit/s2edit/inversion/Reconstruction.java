package io.s2edit.s2edit.inversion;

import ai.djl.ndarray.NDArray;

/**
 * The end of a guided denoising pass from an inverted x_T.
 *
 * @param latents final latents z_0 [B, C, h, w] (UNet scale, before the VAE scaling is undone)
 * @param image the decoded image [B, 3, H, W] in [0, 1]
 */
public record Reconstruction(NDArray latents, NDArray image) {
}
