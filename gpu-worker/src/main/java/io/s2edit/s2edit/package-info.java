/**
 * The S2Edit method (Liu et al., "S2Edit: text-guided image editing with precise semantic and
 * spatial control", §3) on the engine: identity fine-tuning with semantic and spatial control,
 * Null-text inversion, Prompt-to-Prompt editing with the [I] mask, and compositional editing.
 * Depends on {@code io.s2edit.engine} only; knows nothing of messaging.
 */
package io.s2edit.s2edit;
