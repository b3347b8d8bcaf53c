package io.s2edit.engine.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.scheduler.DdimScheduler;

/**
 * Text-to-image with classifier-free guidance (Ho and Salimans), as diffusers'
 * {@code StableDiffusionPipeline} with a DDIM scheduler: eps = eps_u + w (eps_c - eps_u), where
 * eps_u is conditioned on the negative prompt ("" when none).
 */
public final class TextToImage {

    /**
     * @param negativePrompt "" for plain unconditional guidance
     * @param guidance the guidance weight w (7.5 in SD v1)
     */
    public record Request(String prompt, String negativePrompt, int steps, double guidance, int height, int width) {
        public Request {
            if (prompt == null) {
                throw new IllegalArgumentException("prompt is required");
            }
            negativePrompt = negativePrompt == null ? "" : negativePrompt;
            if (steps < 1 || steps > 1000) {
                throw new IllegalArgumentException("steps must be in [1, 1000], got " + steps);
            }
            if (!(guidance >= 0) || guidance > 100) {
                throw new IllegalArgumentException("guidance must be in [0, 100], got " + guidance);
            }
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException("height and width must be positive, got " + height + "x" + width);
            }
        }
    }

    /** Final latents [1, 4, h, w] (before the VAE scaling is undone) and the image [1, 3, H, W] in [0, 1]. */
    public record Result(NDArray latents, NDArray image) {
    }

    private final StableDiffusion model;

    public TextToImage(StableDiffusion model) {
        this.model = model;
    }

    /** The initial noise the pipeline expects for a request: [1, C, H/f, W/f]. */
    public long[] noiseShape(Request request) {
        return new long[] {1, model.unet().config().inChannels(), model.latentSize(request.height()),
                model.latentSize(request.width())};
    }

    /**
     * Runs the pipeline from {@code noise} (x_T, e.g. {@code manager.randomNormal} after
     * {@code Engine.setRandomSeed}); results are owned by {@code out}.
     */
    public Result generate(Request request, NDArray noise, NDManager out, Progress progress) {
        DdimScheduler scheduler = model.newScheduler();
        scheduler.setTimesteps(request.steps());
        NDArray context; // [2, 77, D]: unconditional (negative) first, then conditional
        try (NDScope scope = new NDScope()) {
            context = Scopes.keep(NDArrays.concat(new NDList(
                    model.encodePrompt(request.negativePrompt()), model.encodePrompt(request.prompt()))), out);
        }
        NDArray latents = noise.duplicate(); // DDIM's init_noise_sigma is 1
        latents.attach(out);
        int[] timesteps = scheduler.timesteps();
        for (int i = 0; i < timesteps.length; i++) {
            try (NDScope scope = new NDScope()) {
                int t = timesteps[i];
                NDArray input = NDArrays.concat(new NDList(latents, latents)); // 1. [2, C, h, w]
                NDArray eps = model.unet().forward(input, t, context); // 2. [2, C, h, w]
                NDList halves = eps.split(2, 0);
                NDArray guided = halves.get(0).add(halves.get(1).sub(halves.get(0)).mul((float) request.guidance())); // 3. CFG
                NDArray next = scheduler.step(guided, t, latents).prevSample(); // 4. x_{t-1}
                latents.close();
                latents = Scopes.keep(next, out);
            }
            progress.update("denoise", i + 1, timesteps.length);
        }
        NDArray image;
        try (NDScope scope = new NDScope()) {
            NDArray decoded = model.vae().decodeLatents(latents); // [1, 3, H, W] in [-1, 1]
            image = Scopes.keep(decoded.div(2).add(0.5f).clip(0, 1), out);
        }
        context.close();
        return new Result(latents, image);
    }
}
