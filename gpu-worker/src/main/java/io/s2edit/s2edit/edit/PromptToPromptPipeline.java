package io.s2edit.s2edit.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.s2edit.attention.AttentionControl;
import io.s2edit.s2edit.attention.AttentionEdit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt editing from a given x_T (the reference's {@code text2image_ldm_stable} with
 * one unconditional embedding per step, as after Null-text inversion): the source prompt and every
 * target prompt are denoised together, one UNet call per step on the batch of {@link EditBatch}
 * ([uncond x P, cond x P]), with classifier-free guidance eps = eps_u + w (eps_c - eps_u) and DDIM
 * (eta 0). The attention chain on every layer is {@code extraEdits} (e.g. S2Edit's spatial control,
 * which must see the plain maps of source and target rows), then {@link PromptToPromptEdit}, then
 * {@link LocalBlend}'s recorder when blending. Each step runs in its own {@link NDScope}.
 */
public final class PromptToPromptPipeline {

    /** Stage name reported to {@link Progress}. */
    public static final String STAGE = "edit";

    /**
     * @param prompts   source first, then the targets
     * @param latents   final latents [P, C, h, w] (UNet scale, not divided by the VAE's
     *                  scaling factor); row 0 is the source reconstruction
     * @param images    decoded [P, 3, H, W] in [0, 1]
     * @param modes     the mode each target resolved to
     * @param blendMask the last local-blend region [P, 1, h, w] (0/1), or null without local blend
     */
    public record Result(List<String> prompts, NDArray latents, NDArray images, List<EditOptions.Mode> modes,
            NDArray blendMask) {
    }

    private PromptToPromptPipeline() {
    }

    /**
     * Edits one source into every target in one batched pass per step.
     *
     * @param xT             x_T [1, C, h, w] (inverted, or noise)
     * @param nullEmbeddings the unconditional embedding of each step, N arrays [1, 77, D] (Null-text
     *                       inversion's output, optimised at this same guidance), or null for plain
     *                       classifier-free guidance with the empty prompt ""
     * @param guidance       w; null embeddings only reproduce the source at the w they were made for
     * @param options        steps, mode, windows, reweight, local blend
     * @param extraEdits     edits that run before Prompt-to-Prompt on every layer (empty for none);
     *                       those that implement {@link StepAware} are told each step
     * @param out            owns the result's arrays
     */
    public static Result edit(StableDiffusion model, NDArray xT, List<NDArray> nullEmbeddings, String source,
            List<String> targets, double guidance, EditOptions options, List<? extends AttentionEdit> extraEdits,
            Progress progress, NDManager out) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(extraEdits, "extraEdits (pass List.of() for none)");
        Objects.requireNonNull(progress, "progress (Progress.NONE for none)");
        if (!(guidance >= 0) || guidance > 100) {
            throw new IllegalArgumentException("guidance must be in [0, 100], got " + guidance);
        }
        List<String> prompts = new ArrayList<>();
        prompts.add(Objects.requireNonNull(source, "source prompt"));
        prompts.addAll(Objects.requireNonNull(targets, "targets"));
        int steps = options.steps();
        checkInputs(model, xT, nullEmbeddings, steps);
        int p = prompts.size();

        try (NDManager work = out.newSubManager();
                PromptToPromptEdit p2p = PromptToPromptEdit.create(model.tokenizer(), source, targets, options, work);
                LocalBlend blend = options.localBlend() == null ? null
                        : LocalBlend.create(model.tokenizer(), prompts, options.localBlend(), steps, work)) {
            // 1. Text conditioning [P, 77, D] and, without null embeddings, the "" embedding [1, 77, D].
            NDArray conditional;
            NDArray empty = null;
            NDArray latents;
            try (NDScope scope = new NDScope()) {
                NDList encoded = new NDList();
                prompts.forEach(prompt -> encoded.add(model.encodePrompt(prompt)));
                conditional = Scopes.keep(NDArrays.concat(encoded), work);
                if (nullEmbeddings == null) {
                    empty = Scopes.keep(model.encodePrompt(""), work);
                }
                Shape shape = xT.getShape();
                latents = Scopes.keep(xT.broadcast(new Shape(p, shape.get(1), shape.get(2), shape.get(3))).duplicate(),
                        work); // [P, C, h, w]; DDIM's init_noise_sigma is 1
            }
            List<AttentionEdit> chain = new ArrayList<>(extraEdits);
            chain.add(p2p);
            if (blend != null) {
                chain.add(blend);
            }
            DdimScheduler scheduler = model.newScheduler();
            scheduler.setTimesteps(steps);
            int[] timesteps = scheduler.timesteps();
            // 2. Denoise all prompts together.
            try (AttentionControl control = AttentionControl.install(model.unet(), chain)) {
                for (int i = 0; i < steps; i++) {
                    try (NDScope scope = new NDScope()) {
                        for (AttentionEdit edit : chain) {
                            if (edit instanceof StepAware aware) {
                                aware.beginStep(i);
                            }
                        }
                        NDArray next = step(model, scheduler, timesteps[i], latents, conditional,
                                nullEmbeddings == null ? empty : nullEmbeddings.get(i), (float) guidance);
                        if (blend != null) {
                            next = blend.blend(next, i);
                        }
                        latents.close();
                        latents = Scopes.keep(next, work);
                    }
                    progress.update(STAGE, i + 1, steps);
                }
            }
            // 3. Decode.
            NDArray images;
            try (NDScope scope = new NDScope()) {
                NDArray decoded = model.vae().decodeLatents(latents); // [P, 3, H, W] in [-1, 1]
                images = Scopes.keep(decoded.div(2).add(0.5f).clip(0, 1), out);
            }
            latents.attach(out);
            NDArray mask = null;
            if (blend != null && blend.lastMask() != null) {
                mask = blend.lastMask().duplicate();
                mask.attach(out);
            }
            return new Result(List.copyOf(prompts), latents, images, p2p.modes(), mask);
        }
    }

    /** One guided DDIM step of the whole batch: x_{t-1} [P, C, h, w]. */
    private static NDArray step(StableDiffusion model, DdimScheduler scheduler, int t, NDArray latents,
            NDArray conditional, NDArray unconditional, float guidance) {
        Shape c = conditional.getShape();
        NDArray context = NDArrays.concat(new NDList(unconditional.broadcast(c), conditional)); // 1. [2P, 77, D]
        NDArray input = NDArrays.concat(new NDList(latents, latents)); // [2P, C, h, w]
        NDArray eps = model.unet().forward(input, t, context); // 2. [2P, C, h, w]
        NDList halves = eps.split(2, 0); // [P, C, h, w] each: uncond, cond
        NDArray guided = halves.get(0).add(halves.get(1).sub(halves.get(0)).mul(guidance)); // 3. CFG
        return scheduler.step(guided, t, latents).prevSample(); // 4. x_{t-1}
    }

    private static void checkInputs(StableDiffusion model, NDArray xT, List<NDArray> nullEmbeddings, int steps) {
        Objects.requireNonNull(xT, "x_T");
        Shape s = xT.getShape();
        long channels = model.unet().config().inChannels();
        if (s.dimension() != 4 || s.get(0) != 1 || s.get(1) != channels) {
            throw new IllegalArgumentException("x_T must be [1, " + channels + ", h, w], got " + s);
        }
        if (nullEmbeddings == null) {
            return;
        }
        if (nullEmbeddings.size() != steps) {
            throw new IllegalArgumentException("one null embedding per step is needed: got " + nullEmbeddings.size()
                    + " for " + steps + " steps (set EditOptions.steps to the inversion's step count)");
        }
        long tokens = model.tokenizer().maxLength();
        long width = model.unet().config().crossAttentionDim().get(0);
        for (int i = 0; i < steps; i++) {
            Shape e = Objects.requireNonNull(nullEmbeddings.get(i), "null embedding " + i).getShape();
            if (!e.equals(new Shape(1, tokens, width))) {
                throw new IllegalArgumentException("null embedding " + i + " must be [1, " + tokens + ", " + width
                        + "], got " + e);
            }
        }
    }
}
