/**
 * Prompt-to-Prompt editing (Hertz et al., "Prompt-to-Prompt Image Editing with Cross Attention
 * Control", 2022) on the engine: the attention controller ({@link
 * io.s2edit.s2edit.edit.PromptToPromptEdit}: replace, refine, reweight, cross- and self-attention
 * windows), {@link io.s2edit.s2edit.edit.LocalBlend}, and {@link
 * io.s2edit.s2edit.edit.PromptToPromptPipeline}, which edits one source into several targets in
 * one batched pass per step from x_T and (optionally) Null-text inversion's per-step null
 * embeddings. Built on the token-level pieces of {@code io.s2edit.s2edit.p2p} and the attention
 * hook of {@code io.s2edit.s2edit.attention}; checked against {@code
 * tools/reference/p2p_edit_reference.py} in {@code PromptToPromptParityTest}.
 *
 * <p>Composition with S2Edit: spatial control and any other {@link
 * io.s2edit.s2edit.attention.AttentionEdit} go in the pipeline's {@code extraEdits}; they run
 * before Prompt-to-Prompt on every layer and see the batch laid out as {@link
 * io.s2edit.s2edit.edit.EditBatch} describes.
 */
package io.s2edit.s2edit.edit;
