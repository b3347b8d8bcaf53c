package io.s2edit.s2edit.finetune;

import io.s2edit.engine.Progress;
import io.s2edit.engine.pipeline.StableDiffusion;
import java.util.List;
import java.util.Objects;

/**
 * S2Edit's identity fine-tuning (Liu et al., §3.1-3.3): a new token [I] is inserted into the
 * source prompt ("a photo of a [I] lady"), and the UNet, the text encoder and [I]'s embedding row
 * are fine-tuned on the one source image with
 * <pre>
 *   L = L_recons + λ · |cos(e_P, e_[I])|                              (Eq. 1-2)
 *   L_recons = || eps − eps_θ(z_t, t, c(P~)) ||²  (mean),  t ~ U{0, ..., T−1}
 * </pre>
 * while every cross-attention layer multiplies [I]'s attention by the object mask (Eq. 3,
 * {@link io.s2edit.s2edit.attention.SpatialControl}). Compositional editing (§3.3) trains the
 * same way on several (image, prompt) pairs, [I] on the source and [A] on the reference.
 *
 * <p><b>Readings of the paper</b> (each an option in {@link FineTuneOptions}):
 * <ul>
 *   <li>e_P is the pooled text embedding (final-LayerNorm state at EOS; CLIP has no [CLS]) of the
 *       source prompt P without [I]; e_[I] is the final-layer embedding at [I]'s position in P~
 *       ({@link FineTuneOptions.SemanticTarget#FINAL_LAYER}), or the token's input row
 *       ({@code INPUT_EMBEDDING}). Gradients flow through both e_P and e_[I].</li>
 *   <li>[I]'s row starts as the object word's row ({@code OBJECT_WORD}) or random.</li>
 *   <li>Several pairs are summed per step ({@code SUM}) or alternated ({@code ALTERNATE}).</li>
 *   <li>Trained: every UNet and text-encoder weight (token and position embeddings included) in
 *       fp32; the VAE is frozen and its posterior is computed once per image. The new token rows
 *       have their own learning rate (default the paper's 2e-6).</li>
 *   <li>M_obj is extracted before the first step with the base model
 *       ({@link io.s2edit.s2edit.mask.ObjectMaskExtractor}), unless the pair brings a mask.</li>
 * </ul>
 *
 * <p><b>Randomness.</b> One {@code java.util.Random(seed)} drives everything, in this order:
 * <ol>
 *   <li>per pair, in order: for {@code RANDOM} token init, D draws of {@code nextGaussian()} for
 *       the row (nothing for {@code OBJECT_WORD});</li>
 *   <li>per step k = 1..steps, per pair trained at k (all pairs for {@code SUM}, pair
 *       (k−1) mod n for {@code ALTERNATE}), in order: C·h·w {@code nextGaussian()} for the VAE
 *       posterior sample (z_0 = (mean + std·ε_post) · scaling_factor), C·h·w for the noise ε,
 *       then t = {@code nextInt(T)} (T = num_train_timesteps), as DreamBooth's script draws them;</li>
 * </ol>
 * the {@code NOISED_SOURCE} mask pass of pair i uses its own {@code Random(seed + i)}. Arrays are
 * filled in row-major order. The same seed on the same device gives bit-identical weights.
 *
 * <p>The model is changed in place; it serves one fine-tuning at a time, and its tokenizer must
 * not know the tokens yet (fine-tune a freshly loaded checkpoint).
 */
public final class IdentityFineTuner {

    private final StableDiffusion model;
    private final FineTuneOptions options;

    public IdentityFineTuner(StableDiffusion model, FineTuneOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
    }

    public FineTuneOptions options() {
        return options;
    }

    /**
     * Adds the tokens, encodes the images and finds the masks (progress stage "mask"), ready to
     * {@link FineTuneSession#train}. The caller closes the session.
     */
    public FineTuneSession start(List<TrainingPair> pairs, Progress progress) {
        return FineTuneSession.start(model, options, pairs, progress);
    }

    /** Single-image fine-tuning (§3.1-3.2): {@code fineTune(List.of(pair), progress)}. */
    public FineTuneResult fineTune(TrainingPair pair, Progress progress) {
        return fineTune(List.of(pair), progress);
    }

    /** Fine-tunes on every pair for {@link FineTuneOptions#steps()} steps (progress stage "finetune"). */
    public FineTuneResult fineTune(List<TrainingPair> pairs, Progress progress) {
        try (FineTuneSession session = start(pairs, progress)) {
            session.train(progress);
            return session.result();
        }
    }
}
