/**
 * CLIP's text tokenizer for SD v1.x (all v1.x checkpoints use the CLIP ViT-L/14 tokenizer):
 * prompt to 77 token ids, identical to transformers 5's {@code CLIPTokenizer}
 * ({@link io.s2edit.common.clip.ClipTokenizer} is the entry point). Plain Java, no DJL: the
 * worker's engine encodes prompts with it and the gateway counts a prompt's exact tokens with
 * it, so both refuse the same prompts.
 *
 * <p>Facts the rest of the project relies on:
 * <ul>
 *   <li>Cleanup is HF's ({@code NFC}, white-space runs to one space, lowercase), not OpenAI's:
 *       no ftfy, no HTML unescaping. {@code "&amp;"}, curly quotes and full-width letters give
 *       other ids than OpenAI's {@code SimpleTokenizer} would.</li>
 *   <li>Added tokens ({@code [I]} = 49408, {@code [A]} = 49409 when added in that order) are
 *       matched before BPE, in any case, with or without spaces around them; each is one
 *       token.</li>
 *   <li>Sequences are {@code BOS 49406, tokens, EOS 49407}, padded with 49407 to 77. Read the
 *       end of a prompt at {@link io.s2edit.common.clip.TokenIds#eosIndex()}, never at
 *       {@code argmax(ids)}: added tokens have larger ids than EOS.</li>
 *   <li>Prompts longer than 77 tokens are rejected, never truncated.</li>
 * </ul>
 *
 * <p>The parity tests against transformers read the reference tokenizer in gpu-worker's test
 * resources, so they live there, in this package.
 */
package io.s2edit.common.clip;
