package io.s2edit.s2edit.mask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.Noise;
import io.s2edit.s2edit.attention.AttentionControl;
import io.s2edit.s2edit.attention.AttentionStore;
import java.util.List;
import java.util.Random;

/**
 * Finds M_obj without annotation (§3.2): "we take the cross-attention map of the word that
 * describes the object of interest and binarize it". The paper does not say over which passes;
 * we record the object word's cross-attention over a pass of the UNet across the SOURCE image's
 * latents, with the plain prompt P (the model does not know [I] yet), and average over heads
 * (in {@link AttentionStore}), over the word's tokens, over every cross-attention layer (each
 * map area-resized to the latent size first, {@link AreaResize}) and over the steps. The mean map
 * is then binarised by {@link ObjectMask#fromAttention} (min-max, threshold 0.3 by default).
 *
 * <p>Two passes are offered ({@link Source}):
 * <ul>
 *   <li>{@link Source#DDIM_INVERSION} (default): deterministic DDIM inversion of the source latents
 *       with the conditional embedding of P over {@code steps} steps, as the first stage of
 *       Null-text inversion walks it; each step's UNet call is recorded. This is the trajectory
 *       whose reverse reconstructs the source, so its maps are those of "denoising the source";
 *       no randomness.</li>
 *   <li>{@link Source#NOISED_SOURCE}: for each timestep of the {@code steps}-step DDIM schedule,
 *       the source latents noised to that timestep with one fixed noise sample
 *       ({@code new java.util.Random(seed)}, {@code nextGaussian()} in row-major order), the UNet
 *       called once. Cheaper to reason about, slightly noisier maps.</li>
 * </ul>
 * Maps recorded elsewhere (e.g. during Null-text inversion) can be turned into a mask with
 * {@link #meanMap} and {@link ObjectMask#fromAttention}.
 *
 * <p>Runs without gradients, one step per {@link NDScope}; progress stage "mask".
 */
public final class ObjectMaskExtractor {

    /** Which pass over the source image the maps come from. */
    public enum Source { DDIM_INVERSION, NOISED_SOURCE }

    /**
     * @param source the pass
     * @param steps DDIM steps of the pass (the number of UNet calls averaged)
     * @param threshold binarisation threshold on the min-max normalised mean map
     * @param seed seeds the noise of {@link Source#NOISED_SOURCE} (unused by DDIM inversion)
     */
    public record Options(Source source, int steps, double threshold, long seed) {

        public Options {
            if (source == null) {
                throw new IllegalArgumentException("mask source is required: one of " + List.of(Source.values()));
            }
            if (steps < 1 || steps > 1000) {
                throw new IllegalArgumentException("mask steps must be in [1, 1000], got " + steps);
            }
            if (!(threshold >= 0 && threshold < 1)) {
                throw new IllegalArgumentException("mask threshold must be in [0, 1), got " + threshold);
            }
        }

        /** DDIM inversion over 50 steps, threshold 0.3. */
        public static Options defaults() {
            return new Options(Source.DDIM_INVERSION, 50, ObjectMask.DEFAULT_THRESHOLD, 0);
        }

        public Options withSource(Source value) {
            return new Options(value, steps, threshold, seed);
        }

        public Options withSteps(int value) {
            return new Options(source, value, threshold, seed);
        }

        public Options withThreshold(double value) {
            return new Options(source, steps, value, seed);
        }

        public Options withSeed(long value) {
            return new Options(source, steps, threshold, value);
        }
    }

    /**
     * @param mask M_obj at the latent size
     * @param meanMap the averaged map before normalisation, [height * width]
     * @param mapsAveraged how many (layer, step) maps went into it
     */
    public record Result(ObjectMask mask, float[] meanMap, int height, int width, int mapsAveraged) {
    }

    private ObjectMaskExtractor() {
    }

    /**
     * Extracts M_obj.
     *
     * @param latents the source image's UNet latents z_0 [1, C, h, w] (scaled, e.g.
     *     {@code vae.encodeLatents(image)})
     * @param prompt the plain prompt P, encoded
     * @param objectPositions the object word's token positions in {@code prompt}
     */
    public static Result extract(StableDiffusion model, NDArray latents, TokenIds prompt, int[] objectPositions,
            Options options, Progress progress) {
        int h = (int) latents.getShape().get(2);
        int w = (int) latents.getShape().get(3);
        AttentionStore store = AttentionStore.conditional(objectPositions);
        DdimScheduler scheduler = model.newScheduler();
        scheduler.setTimesteps(options.steps());
        int[] timesteps = scheduler.timesteps(); // noisiest first
        int n = timesteps.length;
        try (NDManager job = model.manager().newSubManager();
                AttentionControl control = AttentionControl.install(model.unet(), List.of(store))) {
            NDArray context;
            NDArray noise = null;
            try (NDScope scope = new NDScope()) {
                context = Scopes.keep(model.textEncoder().forward(List.of(prompt), job).lastHiddenState(), job); // [1, 77, D]
                if (options.source() == Source.NOISED_SOURCE) {
                    noise = Scopes.keep(Noise.gaussian(job, new Random(options.seed()), latents.getShape().getShape()), job);
                }
            }
            NDArray x = latents;
            for (int i = 0; i < n; i++) {
                try (NDScope scope = new NDScope()) {
                    store.beginStep(i);
                    if (options.source() == Source.DDIM_INVERSION) {
                        int t = timesteps[n - 1 - i]; // 1. walk t upward, x_{t - T/N} -> x_t
                        NDArray eps = model.unet().forward(x, t, context); // 2. eps(x_{t - T/N}, t, c_P), recorded
                        NDArray next = scheduler.inverseStep(eps, t, x).prevSample(); // 3. x_t
                        if (x != latents) {
                            x.close();
                        }
                        x = Scopes.keep(next, job);
                    } else {
                        int t = timesteps[i];
                        NDArray noisy = scheduler.addNoise(latents, noise, new int[] {t}); // 1. z_t = q(z_t | z_0)
                        model.unet().forward(noisy, t, context); // 2. one recorded UNet call
                    }
                }
                progress.update("mask", i + 1, n);
            }
        }
        float[] mean = meanMap(store.entries(), h, w);
        return new Result(ObjectMask.fromAttention(mean, h, w, options.threshold()), mean, h, w, store.entries().size());
    }

    /**
     * The mean of recorded maps at {@code height x width}: each entry averaged over its positions,
     * area-resized to {@code height x width}, then all entries averaged with equal weight.
     */
    public static float[] meanMap(List<AttentionStore.Entry> entries, int height, int width) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no cross-attention maps were recorded: does the UNet have cross-attention layers?");
        }
        float[] sum = new float[height * width];
        for (AttentionStore.Entry entry : entries) {
            AttentionContext layer = entry.layer();
            float[] map = AreaResize.resize(entry.meanOverPositions(), (int) layer.height(), (int) layer.width(), height, width);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += map[i];
            }
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= entries.size();
        }
        return sum;
    }
}
