package io.s2edit.s2edit.prompt;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.common.prompts.PromptRules;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A source prompt with S2Edit's special token (§3.1): the enhanced prompt P~ ("a photo of a [I]
 * lady"), the object word that names what [I] stands for ("lady"), and the plain prompt P without
 * the token ("a photo of a lady"), whose pooled text embedding is e_P in the semantic loss (Eq. 1).
 *
 * <p>Rules, each failing with a message naming the problem:
 * <ul>
 *   <li>the placeholder ({@code [I]}, or {@code [A]} for a reference image) appears exactly once,
 *       in any case ({@code [i]} is the same token to the tokenizer);</li>
 *   <li>the other placeholder does not appear (a source prompt carries [I] only, a reference
 *       prompt [A] only; mixed prompts are for generation, not for fine-tuning);</li>
 *   <li>the object word appears exactly once <em>as a word</em>: case-insensitively, not inside a
 *       longer word ("lady" is found in "a lady's hat", not in "ladybird"). A phrase ("red car")
 *       is allowed; its words may be separated by any white space.</li>
 * </ul>
 *
 * <p>The plain prompt removes the placeholder together with the white space around it and puts
 * one space in its place ("a [I] lady" -> "a lady"; "[I] lady" -> "lady").
 */
public final class EnhancedPrompt {

    private final String text;
    private final String plain;
    private final String objectWord;
    private final Placeholder placeholder;

    private EnhancedPrompt(String text, String plain, String objectWord, Placeholder placeholder) {
        this.text = text;
        this.plain = plain;
        this.objectWord = objectWord;
        this.placeholder = placeholder;
    }

    /** An identity prompt: {@code parse(prompt, objectWord, Placeholder.IDENTITY)}. */
    public static EnhancedPrompt identity(String prompt, String objectWord) {
        return parse(prompt, objectWord, Placeholder.IDENTITY);
    }

    /**
     * Validates {@code prompt} (see the class comment) and derives the plain prompt.
     *
     * @throws IllegalArgumentException naming what is wrong and how to write it instead
     */
    public static EnhancedPrompt parse(String prompt, String objectWord, Placeholder placeholder) {
        Objects.requireNonNull(placeholder, "placeholder");
        String token = placeholder.text();
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty; write it with the placeholder " + token
                    + " before the object word, e.g. \"a photo of a " + token + " lady\"");
        }
        int count = PromptRules.count(prompt, token);
        if (count != 1) {
            throw new IllegalArgumentException("prompt \"" + prompt + "\" must contain the placeholder " + token
                    + " exactly once (e.g. \"a photo of a " + token + " lady\"), but it appears " + count + " times");
        }
        for (Placeholder other : Placeholder.values()) {
            if (other != placeholder && PromptRules.count(prompt, other.text()) > 0) {
                throw new IllegalArgumentException("prompt \"" + prompt + "\" contains " + other.text() + " as well as "
                        + token + "; a fine-tuning prompt carries one placeholder (" + Placeholder.IDENTITY.text()
                        + " on the source image, " + Placeholder.ATTRIBUTE.text() + " on the reference image)");
            }
        }
        if (objectWord == null || objectWord.isBlank()) {
            throw new IllegalArgumentException("the object word is empty; name the word of the prompt that describes the"
                    + " object " + token + " stands for (\"lady\" in \"a photo of a " + token + " lady\")");
        }
        String word = objectWord.strip();
        if (PromptRules.count(word, Placeholder.IDENTITY.text()) + PromptRules.count(word, Placeholder.ATTRIBUTE.text()) > 0) {
            throw new IllegalArgumentException("the object word \"" + word + "\" must be a word of the prompt, not a placeholder");
        }
        String plain = prompt.replaceFirst("(?i)\\s*" + Pattern.quote(token) + "\\s*", " ").strip();
        int words = PromptRules.countWord(plain, word);
        if (words != 1) {
            throw new IllegalArgumentException("the object word \"" + word + "\" must occur exactly once as a word in prompt \""
                    + prompt + "\", but it occurs " + words + " times" + (words == 0
                            ? " (a word inside a longer word, such as \"lady\" in \"ladybird\", does not count)"
                            : "; rephrase the prompt or name a word that occurs once"));
        }
        return new EnhancedPrompt(prompt, plain, word, placeholder);
    }

    /** The enhanced prompt P~ as written, with the placeholder. */
    public String text() {
        return text;
    }

    /** The prompt P without the placeholder: e_P of Eq. 1 is its pooled text embedding. */
    public String plain() {
        return plain;
    }

    public String objectWord() {
        return objectWord;
    }

    public Placeholder placeholder() {
        return placeholder;
    }

    /** The placeholder's text, {@code [I]} or {@code [A]}. */
    public String token() {
        return placeholder.text();
    }

    /**
     * Tokenizes both prompts. The tokenizer must know the placeholder as an added token
     * ({@code tokenizer.addTokens("[I]")}), or the placeholder would be split into "[", "i", "]".
     *
     * @throws IllegalArgumentException if the placeholder was not added to the tokenizer
     * @throws io.s2edit.common.clip.PromptTooLongException if a prompt does not fit
     */
    public Tokens tokenize(ClipTokenizer tokenizer) {
        int tokenId;
        try {
            tokenId = tokenizer.idOf(token());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the tokenizer does not know " + token() + " yet; add it first with "
                    + "tokenizer.addTokens(\"" + token() + "\") (the fine-tuner does)", e);
        }
        TokenIds enhanced = tokenizer.encode(text);
        TokenIds plainIds = tokenizer.encode(plain);
        int position = -1;
        for (int i = 0; i < enhanced.length(); i++) {
            if (enhanced.idAt(i) == tokenId) {
                if (position >= 0) {
                    throw new IllegalStateException("token " + token() + " encoded twice in \"" + text + "\"");
                }
                position = i;
            }
        }
        if (position < 0) {
            throw new IllegalStateException("token " + token() + " (id " + tokenId + ") not found in the encoding of \"" + text + "\"");
        }
        return new Tokens(tokenId, enhanced, plainIds, position, tokenizer.positionsOf(text, objectWord),
                tokenizer.positionsOf(plain, objectWord));
    }

    /**
     * Both prompts encoded, with the positions the method needs (0 = BOS).
     *
     * @param tokenId id of the placeholder token
     * @param enhanced P~, the prompt the model is fine-tuned on
     * @param plain P, the prompt without the placeholder
     * @param tokenPosition position of the placeholder in {@code enhanced}: e_[I] is read there
     * @param objectPositions positions of the object word in {@code enhanced} (several if BPE splits it)
     * @param plainObjectPositions positions of the object word in {@code plain}: M_obj is taken from
     *     their cross-attention
     */
    public record Tokens(int tokenId, TokenIds enhanced, TokenIds plain, int tokenPosition, int[] objectPositions,
            int[] plainObjectPositions) {

        public Tokens {
            objectPositions = objectPositions.clone();
            plainObjectPositions = plainObjectPositions.clone();
        }

        @Override
        public int[] objectPositions() {
            return objectPositions.clone();
        }

        @Override
        public int[] plainObjectPositions() {
            return plainObjectPositions.clone();
        }
    }

    @Override
    public String toString() {
        return "EnhancedPrompt[\"" + text + "\", object \"" + objectWord + "\", plain \"" + plain + "\"]";
    }
}
