/**
 * CLIP's text encoder for SD v1.x, identical to transformers 5's {@code CLIPTextModel}
 * ({@link io.s2edit.engine.text.ClipTextModel}: ids to the UNet's encoder_hidden_states and the
 * pooled vector at the EOS position; new token rows appended with {@code addTokenEmbeddings}).
 *
 * <p>The tokenizer that makes its ids lives in {@code common}, package
 * {@link io.s2edit.common.clip} ({@link io.s2edit.common.clip.ClipTokenizer}), so the gateway
 * counts a prompt's tokens with the same code; its package comment lists the facts the engine
 * relies on (added tokens, EOS position, no truncation).
 */
package io.s2edit.engine.text;
