package io.s2edit.common.clip;

import java.util.Arrays;

/**
 * An encoded prompt: {@code [BOS, content..., EOS, PAD...]} at the tokenizer's fixed length.
 *
 * <p>The text encoder's pooled output and any per-prompt summary must be read at
 * {@link #eosIndex()}, not at {@code argmax(ids)}: added tokens such as {@code [I]} (49408) have
 * larger ids than EOS (49407).
 *
 * @param ids      token ids, length = the tokenizer's {@code maxLength} (77 for SD v1)
 * @param eosIndex position of the EOS that ends the prompt, {@code length - 1}; this is the first
 *                 EOS unless the prompt itself contains the text {@code <|endoftext|>}
 * @param length   BOS + content + EOS, i.e. the number of real (unpadded) tokens
 */
public record TokenIds(int[] ids, int eosIndex, int length) {

    public TokenIds {
        if (ids == null || length < 2 || length > ids.length) {
            throw new IllegalArgumentException("length must be 2.." + (ids == null ? "?" : ids.length)
                    + " (BOS + content + EOS within the ids), got " + length);
        }
        if (eosIndex != length - 1) {
            throw new IllegalArgumentException("eosIndex must be length - 1 = " + (length - 1) + ", got " + eosIndex);
        }
        ids = ids.clone();
    }

    /** A copy of the ids. */
    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** The id at {@code position} (0 = BOS). */
    public int idAt(int position) {
        return ids[position];
    }

    /** Number of positions, padded ones included. */
    public int size() {
        return ids.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenIds that && eosIndex == that.eosIndex && length == that.length
                && Arrays.equals(ids, that.ids);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + length;
    }

    @Override
    public String toString() {
        return "TokenIds[length=" + length + ", eosIndex=" + eosIndex + ", ids="
                + Arrays.toString(Arrays.copyOf(ids, length)) + " + " + (ids.length - length) + " padding]";
    }
}
