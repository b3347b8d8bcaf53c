/**
 * Prompt-to-Prompt (Hertz et al., "Prompt-to-Prompt Image Editing with Cross Attention Control",
 * 2022) at the level of tokens: which token positions a word covers, how the target prompt's
 * tokens map onto the source prompt's, per-token reweighting and the per-step schedule of
 * cross-attention replacement. Pure Java on top of {@link io.s2edit.common.clip.ClipTokenizer};
 * the attention controllers that apply these to the UNet build on them.
 *
 * <p>Every piece mirrors the public implementation (google/prompt-to-prompt:
 * {@code ptp_utils.get_word_inds}, {@code seq_aligner.get_replacement_mapper},
 * {@code seq_aligner.get_refinement_mapper}, the notebooks' {@code get_equalizer} and
 * {@code LocalBlend}, {@code ptp_utils.get_time_words_attention_alpha}), quirks included, and is
 * checked against {@code tools/reference/p2p_aligners.py} in
 * {@code PromptToPromptAlignerParityTest}. Where the public code fails with an
 * {@code IndexError} or silently selects nothing, these classes throw an
 * {@link java.lang.IllegalArgumentException} that names the problem.
 *
 * <p>Letters: T = the tokenizer's sequence length (77 for SD v1), positions count BOS as 0;
 * P = the number of prompts, source first, so there are P - 1 targets; N = denoising steps.
 */
package io.s2edit.s2edit.p2p;
