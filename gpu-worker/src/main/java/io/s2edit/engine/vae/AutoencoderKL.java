package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * diffusers {@code AutoencoderKL} for SD v1.x: encoder -> quant_conv -> posterior; post_quant_conv
 * -> decoder. Letters: B batch, H, W image size (multiples of f = {@link VaeConfig#downscaleFactor()},
 * 8 for SD v1.x), h = H/f, w = W/f, L latent channels (4).
 *
 * <p><b>Scaling factor.</b> {@link #encode}/{@link #decode} are diffusers' raw VAE and never scale.
 * UNet latents are {@code posterior * scalingFactor}: {@link #encodeLatents} multiplies (by the
 * posterior mean) and {@link #decodeLatents} divides before decoding, so a pipeline that holds UNet
 * latents calls only those two. Images are [B, 3, H, W] in [-1, 1]: {@code pipeline.Images.toSignedTensor} makes them
 * from 8-bit pixels, and {@code (decode(z) * 0.5 + 0.5).clamp(0, 1)} gives what {@code Images.toImage} writes.
 *
 * <p>The model owns its weights in a sub-manager of the one given to {@link #load}; close it to
 * free them. Forward temporaries go to the caller's {@code NDScope}. Gradients flow through every
 * method when the parameters require them ({@link Checkpoint#setTrainable}); fine-tuning samples
 * the posterior with {@link DiagonalGaussian#sample}.
 */
public final class AutoencoderKL extends Module implements AutoCloseable {

    /** The weights file diffusers writes into {@code vae/}. */
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

    private final VaeConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;
    private NDManager manager;

    /** Builds the module tree from {@code config}; parameters stay unset until {@link #load}. */
    public AutoencoderKL(VaeConfig config) {
        this.config = config;
        long latent = config.latentChannels();
        this.encoder = child("encoder", new Encoder(config));
        this.decoder = child("decoder", new Decoder(config));
        this.quantConv = config.useQuantConv() ? child("quant_conv", new Conv2d(2 * latent, 2 * latent, 1, 1, 0)) : null;
        this.postQuantConv = config.usePostQuantConv() ? child("post_quant_conv", new Conv2d(latent, latent, 1, 1, 0)) : null;
    }

    /** Loads {@code vaeDir/config.json} and {@code vaeDir/diffusion_pytorch_model.safetensors} (F32/F16/BF16, read as fp32). */
    public static AutoencoderKL load(Path vaeDir, NDManager parent) throws IOException {
        Path weights = vaeDir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IOException("no VAE weights at " + weights + " (expected a diffusers vae/ folder with config.json and " + WEIGHTS + ")");
        }
        AutoencoderKL vae = new AutoencoderKL(VaeConfig.read(vaeDir.resolve("config.json")));
        vae.manager = Checkpoint.loadOwned(vae, weights, parent, key -> false);
        return vae;
    }

    public VaeConfig config() {
        return config;
    }

    /** image [B, in, H, W] in [-1, 1] -> posterior over [B, L, h, w] (unscaled). */
    public DiagonalGaussian encode(NDArray image) {
        Shape s = image.getShape();
        int f = config.downscaleFactor();
        if (s.dimension() != 4 || s.get(1) != config.inChannels() || s.get(2) % f != 0 || s.get(3) % f != 0) {
            throw new IllegalArgumentException("VAE input must be [B, " + config.inChannels() + ", H, W] with H and W multiples of "
                    + f + ", got " + s);
        }
        NDArray moments = encoder.forward(image); // [B, 2L, h, w]
        if (quantConv != null) {
            moments = quantConv.forward(moments);
        }
        return DiagonalGaussian.fromMoments(moments);
    }

    /** UNet latents of an image: {@code encode(image).mean * scalingFactor}, [B, L, h, w]. */
    public NDArray encodeLatents(NDArray image) {
        return encode(image).mean().mul(config.scalingFactor());
    }

    /** Unscaled z [B, L, h, w] -> image [B, out, H, W], roughly in [-1, 1] (not clamped). Does not divide by the scaling factor. */
    public NDArray decode(NDArray z) {
        Shape s = z.getShape();
        if (s.dimension() != 4 || s.get(1) != config.latentChannels()) {
            throw new IllegalArgumentException("VAE decoder input must be [B, " + config.latentChannels() + ", h, w], got " + s);
        }
        return decoder.forward(postQuantConv == null ? z : postQuantConv.forward(z));
    }

    /** UNet latents [B, L, h, w] -> image: {@code decode(latents / scalingFactor)}. */
    public NDArray decodeLatents(NDArray latents) {
        return decode(latents.div(config.scalingFactor()));
    }

    /** Frees the weights (a model built but never loaded owns nothing). */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
