package io.s2edit.s2edit.inversion;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.nn.Parameter;
import io.s2edit.engine.nn.Scalars;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.engine.unet.UNet2DConditionModel;
import io.s2edit.s2edit.attention.AttentionControl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Null-text inversion (Mokady et al., "Null-text Inversion for Editing Real Images using Guided
 * Diffusion Models", CVPR 2023, Algorithm 1), as the reference notebook
 * ({@code null_text_w_ptp.ipynb} of google/prompt-to-prompt) runs it:
 *
 * <ol>
 * <li>z_0 = VAE posterior mean x scaling factor;
 * <li>DDIM inversion with the conditional embedding C only (guidance 1), t walking upward,
 *     keeping z*_0 ... z*_T;
 * <li>for each denoising step i = 0 .. N-1 (t noisiest first), starting from z-bar_T = z*_T and
 *     the null embedding of the previous step (that of "" for i = 0): a fresh Adam with
 *     lr 1e-2 (1 - i/100) on the null embedding; eps_c = eps(z-bar_t, t, C) once, without
 *     gradient; at most {@code innerSteps} iterations of eps = eps_u + w (eps_c - eps_u),
 *     one DDIM step, loss = MSE(step, z*_{t-1}) (the paper's objective for the null embedding
 *     of step t), stopping once loss &lt; 1e-5 + i 2e-5 (the notebook's early stop, checked
 *     after each update, so at least one update runs); the embedding is kept and z-bar advances
 *     by the full guided step, without gradient.
 * </ol>
 *
 * <p>The loss is differentiated through the DDIM step, so the step's scalar products use
 * {@link Scalars} (DJL's {@code mul(Number)} loses its operand to the GC before backward).
 * Adam is {@link Adam}, written out to match {@code torch.optim.Adam}; the parity test measures
 * it at 2e-9 from PyTorch over four updates.
 *
 * <p>Letters: N steps, C latent channels, h x w latent size, H x W image size, D text width,
 * B prompts in a batch.
 *
 * <p><b>Gradients.</b> Only the null embedding is differentiated: each inner iteration opens
 * one {@link GradientCollector} around the unconditional UNet pass and closes it before the
 * Adam update. The UNet's parameters must not record gradients; {@link #invert} refuses to run
 * when they do (see {@link io.s2edit.engine.nn.Checkpoint#setTrainable}), so calling it after
 * fine-tuning needs {@code setTrainable(unet, false)} first. Only one collector may be open in
 * the JVM, so never call {@link #invert} inside another one. Autograd is off for the calling
 * thread while {@link #invert} and {@link #denoise} run and restored after (grad mode is per
 * thread, and only the engine's first thread starts with it off).
 *
 * <p><b>Embeddings in, not prompts.</b> The conditional embedding is an input, so a prompt with
 * a learned token such as {@code [I]} is encoded by whoever added the token. The model is used
 * for its UNet, VAE and scheduler config. Without an {@link InversionAttention} its processors
 * are used as installed (install none while inverting unless an edit must act on the source's
 * attention); with one, each UNet call runs under the edits it returns for that call's rows and
 * plain attention is restored after the call. S2Edit inverts this way with the [I] mask on the
 * conditional rows, so that the null embeddings are fitted to the model as editing runs it.
 *
 * <p>Not thread-safe with other users of the same model (processors are model state).
 */
public final class NullTextInversion {

    /** Progress stage of the DDIM inversion: N updates. */
    public static final String STAGE_DDIM_INVERSION = "ddim-inversion";
    /** Progress stage of the null-embedding optimisation: N updates. */
    public static final String STAGE_NULL_TEXT = "null-text";
    /** Progress stage of {@link #reconstruct} and {@link #denoise}: N updates. */
    public static final String STAGE_RECONSTRUCT = "reconstruct";

    private static final int[] CONDITIONAL_ROW = {0};
    private static final int[] NULL_TEXT_ROW = {InversionAttention.NULL_TEXT};

    private final StableDiffusion model;
    private final InversionAttention attention;

    /** Inversion with the model's processors as installed. */
    public NullTextInversion(StableDiffusion model) {
        this(model, null);
    }

    /**
     * @param attention the edits of each UNet call, chosen by its rows; {@code null} leaves the
     *     installed processors alone
     */
    public NullTextInversion(StableDiffusion model, InversionAttention attention) {
        this.model = model;
        this.attention = attention;
    }

    /** {@link #invert(NDArray, NDArray, NDArray, NullTextOptions, NDManager, Progress)} from the embedding of "". */
    public InversionResult invert(NDArray image, NDArray conditional, NullTextOptions options, NDManager out,
            Progress progress) {
        try (NDManager scratch = out.newSubManager()) {
            NDArray empty;
            try (NDScope scope = new NDScope()) {
                empty = Scopes.keep(model.encodePrompt(""), scratch); // [1, 77, D]
            }
            return invert(image, conditional, empty, options, out, progress);
        }
    }

    /**
     * Inverts {@code image}.
     *
     * @param image the source [1, 3, H, W] in [-1, 1] ({@code Images.toSignedTensor})
     * @param conditional C, the source prompt's embedding [1, 77, D]
     * @param unconditional the starting null embedding [1, 77, D], normally that of ""
     * @param out owns every array of the result
     */
    public InversionResult invert(NDArray image, NDArray conditional, NDArray unconditional, NullTextOptions options,
            NDManager out, Progress progress) {
        checkEmbedding("conditional", conditional, 1);
        checkEmbedding("unconditional", unconditional, 1);
        Shape s = image.getShape();
        if (s.dimension() != 4 || s.get(0) != 1 || s.get(1) != 3) {
            throw new IllegalArgumentException("image must be one RGB image [1, 3, H, W] in [-1, 1], got " + s);
        }
        checkUnetFrozen();
        try (NoGrad noGrad = NoGrad.enter()) {
            return invertWithoutGrad(image, conditional, unconditional, options, out, progress);
        }
    }

    private InversionResult invertWithoutGrad(NDArray image, NDArray conditional, NDArray unconditional,
            NullTextOptions options, NDManager out, Progress progress) {
        NDArray source;
        try (NDScope scope = new NDScope()) {
            source = Scopes.keep(model.vae().encodeLatents(image), out); // 1. z_0 [1, C, h, w]
        }
        List<NDArray> ddimLatents = ddimInversion(source, conditional, options.steps(), out, progress); // 2.
        List<NDArray> nullEmbeddings = new ArrayList<>();
        List<InversionResult.StepDiagnostics> diagnostics = new ArrayList<>();
        optimiseNullEmbeddings(ddimLatents, conditional, unconditional, options, out, progress, nullEmbeddings, diagnostics); // 3.
        return new InversionResult(ddimLatents.get(options.steps()), nullEmbeddings, source, ddimLatents, diagnostics,
                options);
    }

    /**
     * DDIM inversion (guidance 1): z*_{k+1} = inverseStep(eps(z*_k, t_{k+1}, C)), t walking upward,
     * as the notebook's {@code ddim_loop}. Returns the N + 1 latents, {@code sourceLatents}' copy first.
     */
    public List<NDArray> ddimInversion(NDArray sourceLatents, NDArray conditional, int steps, NDManager out,
            Progress progress) {
        checkEmbedding("conditional", conditional, 1);
        DdimScheduler scheduler = model.newScheduler();
        scheduler.setTimesteps(steps);
        int[] timesteps = scheduler.timesteps(); // noisiest first
        List<NDArray> latents = new ArrayList<>();
        NDArray latent = sourceLatents.duplicate();
        latents.add(Scopes.keep(latent, out));
        for (int i = 0; i < steps; i++) {
            int t = timesteps[steps - 1 - i];
            try (NDScope scope = new NDScope()) {
                NDArray eps = unet(latent, t, conditional, CONDITIONAL_ROW); // [1, C, h, w]
                latent = Scopes.keep(scheduler.inverseStep(eps, t, latent).prevSample(), out);
            }
            latents.add(latent);
            progress.update(STAGE_DDIM_INVERSION, i + 1, steps);
        }
        return latents;
    }

    private void optimiseNullEmbeddings(List<NDArray> ddimLatents, NDArray conditional, NDArray unconditional,
            NullTextOptions options, NDManager out, Progress progress, List<NDArray> nullEmbeddings,
            List<InversionResult.StepDiagnostics> diagnostics) {
        int n = options.steps();
        DdimScheduler scheduler = model.newScheduler();
        scheduler.setTimesteps(n);
        int[] timesteps = scheduler.timesteps();
        try (NDManager work = out.newSubManager()) {
            NDArray latent = keepCopy(ddimLatents.get(n), work); // z-bar_T = z*_T
            NDArray nullEmbedding = keepCopy(unconditional, work); // carried from step to step
            for (int i = 0; i < n; i++) {
                int t = timesteps[i];
                NDArray target = ddimLatents.get(n - 1 - i); // z*_{t-1}
                double firstLoss = Double.NaN;
                double loss = Double.NaN;
                int iterations = 0;
                boolean stopped = false;
                try (NDManager stepState = work.newSubManager(); NDScope scope = new NDScope()) {
                    NDArray epsCond = options.innerSteps() == 0 ? null : unet(latent, t, conditional, CONDITIONAL_ROW); // 1. eps_c
                    Adam adam = new Adam(options.learningRate(i), stepState); // 2. a fresh optimiser per step
                    while (iterations < options.innerSteps()) {
                        Iteration it = iterate(latent, t, epsCond, target, nullEmbedding, options.guidance(), scheduler,
                                adam, work);
                        nullEmbedding.close();
                        nullEmbedding = it.updated();
                        loss = it.loss();
                        if (iterations == 0) {
                            firstLoss = loss;
                        }
                        iterations++;
                        if (loss < options.earlyStopThreshold(i)) { // 3. the notebook's early stop
                            stopped = true;
                            break;
                        }
                    }
                    NDArray next = guidedStep(latent, t, nullEmbedding, conditional, options.guidance(), scheduler); // 4.
                    latent.close();
                    latent = Scopes.keep(next, work);
                }
                nullEmbeddings.add(keepCopy(nullEmbedding, out));
                diagnostics.add(new InversionResult.StepDiagnostics(i, t, firstLoss, loss, iterations, stopped));
                progress.update(STAGE_NULL_TEXT, i + 1, n);
            }
        }
    }

    private record Iteration(double loss, NDArray updated) {
    }

    /**
     * One inner iteration: loss = MSE(DDIM step of eps_u + w (eps_c - eps_u), target), its gradient
     * with respect to the null embedding only, and one Adam update (returned, owned by {@code owner}).
     */
    private Iteration iterate(NDArray latent, int t, NDArray epsCond, NDArray target, NDArray nullEmbedding,
            double guidance, DdimScheduler scheduler, Adam adam, NDManager owner) {
        try (NDScope scope = new NDScope()) {
            NDArray leaf = nullEmbedding.duplicate(); // a fresh leaf: no gradient carried over
            leaf.setRequiresGradient(true);
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray epsUncond = unet(latent, t, leaf, NULL_TEXT_ROW); // [1, C, h, w]
                NDArray eps = epsUncond.add(Scalars.mul(epsCond.sub(epsUncond), (float) guidance)); // CFG
                NDArray previous = scheduler.step(eps, t, latent).prevSample(); // z_{t-1}(null embedding)
                NDArray mse = previous.sub(target).square().mean(); // F.mse_loss, mean reduction
                collector.backward(mse);
                loss = mse.getFloat();
            }
            try (NDArray gradient = leaf.getGradient()) { // autograd is off again: the update records no graph
                return new Iteration(loss, adam.step(nullEmbedding, gradient, owner));
            }
        }
    }

    /**
     * One classifier-free guided DDIM step, batched [unconditional x B, conditional] as
     * ptp_utils' {@code diffusion_step}: latents [B, C, h, w], unconditional [1, 77, D] shared by
     * the batch, conditional [B, 77, D].
     */
    private NDArray guidedStep(NDArray latents, int t, NDArray unconditional, NDArray conditional, double guidance,
            DdimScheduler scheduler) {
        long batch = latents.getShape().get(0);
        NDArray uncond = batch == 1 ? unconditional : unconditional.repeat(0, batch); // [B, 77, D]
        NDArray context = NDArrays.concat(new NDList(uncond, conditional)); // [2B, 77, D]
        NDArray input = NDArrays.concat(new NDList(latents, latents)); // [2B, C, h, w]
        int[] rows = new int[(int) (2 * batch)]; // [null-text x B, prompts 0 .. B-1]
        Arrays.setAll(rows, r -> r < batch ? InversionAttention.NULL_TEXT : (int) (r - batch));
        NDList halves = unet(input, t, context, rows).split(2, 0); // eps_u, eps_c: [B, C, h, w]
        NDArray eps = halves.get(0).add(halves.get(1).sub(halves.get(0)).mul((float) guidance));
        return scheduler.step(eps, t, latents).prevSample();
    }

    /**
     * Denoises from {@code inversion.xT()} with its per-step null embeddings as the unconditional
     * context (the notebook's {@code text2image_ldm_stable} with {@code uncond_embeddings}). With
     * the source prompt's embedding and the inversion's guidance this reproduces the source; edits
     * pass a batch of prompt embeddings [B, 77, D] (source first) with attention control installed.
     * At another guidance than {@code inversion.options().guidance()} the embeddings no longer fit.
     */
    public Reconstruction reconstruct(InversionResult inversion, NDArray conditional, double guidance, NDManager out,
            Progress progress) {
        return denoise(inversion.xT(), conditional, inversion.nullEmbeddings(), guidance, out, progress);
    }

    /**
     * Guided DDIM from {@code xT} [1, C, h, w] (shared by the B prompts of {@code conditional}
     * [B, 77, D]) with {@code unconditional.get(i)} [1, 77, D] as step i's unconditional context;
     * N = {@code unconditional.size()}. {@code Collections.nCopies(N, embeddingOfEmpty)} gives plain
     * classifier-free guidance, i.e. DDIM inversion without the null-text optimisation.
     */
    public Reconstruction denoise(NDArray xT, NDArray conditional, List<NDArray> unconditional, double guidance,
            NDManager out, Progress progress) {
        Shape cs = conditional.getShape();
        long batch = cs.dimension() == 3 ? cs.get(0) : 0;
        checkEmbedding("conditional", conditional, batch);
        if (xT.getShape().dimension() != 4 || xT.getShape().get(0) != 1) {
            throw new IllegalArgumentException("xT must be one latent [1, C, h, w], got " + xT.getShape());
        }
        for (NDArray u : unconditional) {
            checkEmbedding("unconditional", u, 1);
        }
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            throw new IllegalArgumentException("guidance must be finite and >= 0, got " + guidance);
        }
        try (NoGrad noGrad = NoGrad.enter()) {
            return denoiseWithoutGrad(xT, conditional, batch, unconditional, guidance, out, progress);
        }
    }

    private Reconstruction denoiseWithoutGrad(NDArray xT, NDArray conditional, long batch, List<NDArray> unconditional,
            double guidance, NDManager out, Progress progress) {
        int n = unconditional.size();
        DdimScheduler scheduler = model.newScheduler();
        scheduler.setTimesteps(n);
        int[] timesteps = scheduler.timesteps();
        try (NDManager work = out.newSubManager()) {
            NDArray latents;
            try (NDScope scope = new NDScope()) {
                latents = keepCopy(xT.repeat(0, batch), work); // [B, C, h, w]
            }
            for (int i = 0; i < n; i++) {
                try (NDScope scope = new NDScope()) {
                    NDArray next = guidedStep(latents, timesteps[i], unconditional.get(i), conditional, guidance, scheduler);
                    latents.close();
                    latents = Scopes.keep(next, work);
                }
                progress.update(STAGE_RECONSTRUCT, i + 1, n);
            }
            try (NDScope scope = new NDScope()) {
                NDArray image = model.vae().decodeLatents(latents).div(2).add(0.5f).clip(0, 1); // [B, 3, H, W]
                return new Reconstruction(Scopes.keep(latents, out), Scopes.keep(image, out));
            }
        }
    }

    /** One UNet call, under {@link #attention}'s edits for {@code rows} when there is one. */
    private NDArray unet(NDArray latents, int t, NDArray context, int[] rows) {
        if (attention == null) {
            return model.unet().forward(latents, t, context);
        }
        try (AttentionControl control = AttentionControl.install(model.unet(), attention.edits(rows))) {
            return model.unet().forward(latents, t, context);
        }
    }

    /** Plain guided DDIM from x_T with "" as every step's unconditional context: the baseline null text improves on. */
    public Reconstruction reconstructWithoutNullText(InversionResult inversion, NDArray conditional, NDArray empty,
            double guidance, NDManager out, Progress progress) {
        return denoise(inversion.xT(), conditional, Collections.nCopies(inversion.nullEmbeddings().size(), empty), guidance,
                out, progress);
    }

    private void checkUnetFrozen() {
        UNet2DConditionModel unet = model.unet();
        long recording = unet.parameters().values().stream().map(Parameter::get).filter(NDArray::hasGradient).count();
        if (recording > 0) {
            throw new IllegalStateException(recording + " of " + unet.parameters().size() + " UNet parameters record "
                    + "gradients; Null-text inversion differentiates only the null embedding, and its backward passes "
                    + "would add into the UNet's gradients. Call Checkpoint.setTrainable(unet, false) before inverting.");
        }
    }

    private void checkEmbedding(String what, NDArray embedding, long batch) {
        Shape s = embedding.getShape();
        long width = model.unet().config().crossAttentionDim().get(0);
        if (s.dimension() != 3 || s.get(0) != batch || s.get(2) != width) {
            throw new IllegalArgumentException(what + " embedding must be [" + (batch == 0 ? "B" : batch) + ", S, " + width
                    + "] (the text encoder's last hidden state), got " + s);
        }
    }

    /** Autograd off for this thread until closed, then back to what it was. */
    private record NoGrad(boolean previous) implements AutoCloseable {
        static NoGrad enter() {
            NoGrad state = new NoGrad(JniUtils.isGradMode());
            JniUtils.setGradMode(false);
            return state;
        }

        @Override
        public void close() {
            JniUtils.setGradMode(previous);
        }
    }

    private static NDArray keepCopy(NDArray array, NDManager owner) {
        NDArray copy = array.duplicate();
        NDScope.unregister(copy);
        copy.attach(owner);
        return copy;
    }
}
