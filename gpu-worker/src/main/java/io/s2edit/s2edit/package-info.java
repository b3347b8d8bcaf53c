/**
 * The S2Edit method (Liu et al., "S2Edit: text-guided image editing with precise semantic and
 * spatial control", §3) on the engine: identity fine-tuning with semantic and spatial control,
 * Null-text inversion, Prompt-to-Prompt editing with the [I] mask, and compositional editing.
 * Depends on {@code io.s2edit.engine} only; knows nothing of messaging.
 *
 * <p>Packages: {@code prompt} (enhanced prompts with [I]/[A]), {@code attention} (attention edits:
 * storing maps, spatial control), {@code mask} (M_obj), {@code finetune} (identity fine-tuning with
 * semantic and spatial control) and {@code artifact} (token embeddings and weight deltas on disk).
 * Randomness is drawn in Java from seeded {@code java.util.Random}s ({@link io.s2edit.s2edit.Noise})
 * so that a seed fixes a run on any device.
 */
package io.s2edit.s2edit;
