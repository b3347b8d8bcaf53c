package io.s2edit.common.clip;

/**
 * A prompt that does not fit the text encoder's positions. Prompts are rejected rather than
 * truncated: a cut-off prompt would silently edit with different words than the user wrote.
 */
public final class PromptTooLongException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int tokenCount;
    private final int maxLength;

    /**
     * @param tokenCount tokens of the prompt, start and end tokens included
     * @param maxLength  the most tokens an encoded prompt may have
     */
    public PromptTooLongException(int tokenCount, int maxLength) {
        super("prompt is " + tokenCount + " tokens long (including start and end tokens); the limit is "
                + maxLength + ". Shorten it by " + (tokenCount - maxLength) + " tokens");
        this.tokenCount = tokenCount;
        this.maxLength = maxLength;
    }

    /** Tokens of the rejected prompt, start and end tokens included. */
    public int tokenCount() {
        return tokenCount;
    }

    /** The limit it exceeded. */
    public int maxLength() {
        return maxLength;
    }
}
