package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The VAE posterior N(mean, exp(logvar)) per latent element (diffusers
 * {@code DiagonalGaussianDistribution}). All arrays are [B, L, h, w] and unscaled: multiply by
 * {@link VaeConfig#scalingFactor()} to get UNet latents.
 *
 * @param mean the posterior mean
 * @param logvar the log-variance, clamped to [-30, 20]
 * @param std exp(0.5 * logvar)
 */
public record DiagonalGaussian(NDArray mean, NDArray logvar, NDArray std) {

    /** Lower clamp of the log-variance, as diffusers. */
    public static final float LOGVAR_MIN = -30f;
    /** Upper clamp of the log-variance, as diffusers. */
    public static final float LOGVAR_MAX = 20f;

    /** Splits the encoder's moments [B, 2L, h, w] into mean and (clamped) log-variance along channels. */
    public static DiagonalGaussian fromMoments(NDArray moments) {
        NDList halves = moments.split(2, 1); // mean [B, L, h, w], logvar [B, L, h, w]
        NDArray mean = halves.get(0);
        NDArray logvar = halves.get(1).clip(LOGVAR_MIN, LOGVAR_MAX);
        return new DiagonalGaussian(mean, logvar, logvar.mul(0.5f).exp());
    }

    /** mean + std * noise, differentiable w.r.t. the encoder; noise [B, L, h, w] ~ N(0, 1) from the caller's RNG. */
    public NDArray sample(NDArray noise) {
        if (!noise.getShape().equals(mean.getShape())) {
            throw new IllegalArgumentException("noise shape " + noise.getShape() + " must equal the posterior shape " + mean.getShape());
        }
        return mean.add(std.mul(noise));
    }
}
