package io.s2edit.common.clip;

/**
 * A token matched as a whole in the prompt before any BPE, like HF's {@code AddedToken}: the
 * special tokens {@code <|startoftext|>} and {@code <|endoftext|>}, and new words such as
 * S2Edit's {@code [I]} and {@code [A]}.
 *
 * @param content    the text of the token, e.g. {@code "[I]"}
 * @param id         its id; new tokens get ids from the vocabulary size upwards
 * @param normalized {@code true}: matched in the cleaned text (so case-insensitively, against
 *                   the cleaned {@code content}); {@code false}: matched in the raw prompt,
 *                   exactly. HF's defaults: {@code true} for tokens added with
 *                   {@code add_tokens}, {@code false} for special tokens
 * @param special    whether HF counts it as a special token (kept for completeness; it does not
 *                   change encoding)
 */
public record AddedToken(String content, int id, boolean normalized, boolean special) {

    public AddedToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("an added token needs non-empty content");
        }
        if (id < 0) {
            throw new IllegalArgumentException("token id must be >= 0, got " + id + " for \"" + content + "\"");
        }
    }

    /** A token added the way {@code tokenizer.add_tokens([content])} adds it: normalized, not special. */
    public static AddedToken word(String content, int id) {
        return new AddedToken(content, id, true, false);
    }
}
