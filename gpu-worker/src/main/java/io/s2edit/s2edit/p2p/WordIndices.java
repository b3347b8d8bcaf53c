package io.s2edit.s2edit.p2p;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The token positions of the words of one prompt, as Prompt-to-Prompt's {@code get_word_inds}
 * finds them.
 *
 * <p>A <em>word</em> is a piece of {@code prompt.split(" ")}: split on single spaces, empty
 * pieces kept, punctuation attached ({@code "a lady, smiling!"} has the words {@code a},
 * {@code lady,} and {@code smiling!}). Words are matched to tokens by length, not by text: each
 * content token, decoded alone ({@link ClipTokenizer#decodeToken}) and stripped of {@code #} at
 * both ends, is charged its length in code points against the current word; the word ends once
 * it has been charged at least its own length. So {@code hippopotamus} covers its three BPE
 * tokens and {@code [I]lady} both of its tokens. Reference quirks that follow and are kept:
 * <ul>
 *   <li>an empty word (two spaces in a row, a leading or trailing space) takes the next token,
 *       shifting every later word by one token;</li>
 *   <li>a token of {@code #} only counts zero characters, so {@code #sunset} also takes the
 *       token after it;</li>
 *   <li>a token holding part of a multi-byte character decodes to one U+FFFD, so words with
 *       such characters drift; when the tokens outrun the last word (e.g. {@code "a ﬁsh"}) the
 *       reference fails with an {@code IndexError}, and so does every lookup here.</li>
 * </ul>
 * Positions count BOS as 0. Immutable.
 */
public final class WordIndices {

    private final String prompt;
    private final TokenIds ids;
    private final List<String> words;
    private final int[] wordOfPosition; // word index per position; -1 for BOS, EOS and padding
    private final int overflowPosition; // first position charged past the last word, or -1

    private WordIndices(String prompt, TokenIds ids, List<String> words, int[] wordOfPosition, int overflowPosition) {
        this.prompt = prompt;
        this.ids = ids;
        this.words = words;
        this.wordOfPosition = wordOfPosition;
        this.overflowPosition = overflowPosition;
    }

    /**
     * Tokenises {@code prompt} and assigns each of its tokens to a word.
     *
     * @throws io.s2edit.common.clip.PromptTooLongException if the prompt does not fit
     */
    public static WordIndices of(ClipTokenizer tokenizer, String prompt) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(prompt, "prompt");
        TokenIds ids = tokenizer.encode(prompt);
        List<String> words = List.of(prompt.split(" ", -1));
        int[] wordOfPosition = new int[ids.size()];
        Arrays.fill(wordOfPosition, -1);
        int overflow = -1;
        int current = 0;
        int charged = 0;
        for (int position = 1; position < ids.eosIndex(); position++) {
            if (current == words.size()) {
                overflow = position;
                break;
            }
            charged += charLength(tokenizer.decodeToken(ids.idAt(position)));
            wordOfPosition[position] = current;
            if (charged >= codePoints(words.get(current))) {
                current++;
                charged = 0;
            }
        }
        return new WordIndices(prompt, ids, words, wordOfPosition, overflow);
    }

    /** The prompt as given. */
    public String prompt() {
        return prompt;
    }

    /** The encoded prompt. */
    public TokenIds ids() {
        return ids;
    }

    /** {@code prompt.split(" ")} with empty pieces kept, as Python's {@code str.split(" ")}. */
    public List<String> words() {
        return words;
    }

    /** Number of words (see {@link #words()}). */
    public int wordCount() {
        return words.size();
    }

    /** Whether {@code word} is one of {@link #words()}, exactly (case and punctuation count). */
    public boolean contains(String word) {
        return words.contains(word);
    }

    /**
     * The positions of the word at {@code wordIndex} (0 = the first word), ascending.
     *
     * @throws IllegalArgumentException if the index is not a word's, if the word has no tokens,
     *                                  or if the prompt's tokens outrun its words
     */
    public int[] positionsOf(int wordIndex) {
        if (wordIndex < 0 || wordIndex >= words.size()) {
            throw new IllegalArgumentException("word index " + wordIndex + " is out of range: prompt \"" + prompt
                    + "\" has " + words.size() + " words (0.." + (words.size() - 1) + ") " + quotedWords());
        }
        return nonEmpty(collect(List.of(wordIndex)), "word " + wordIndex + " (\"" + words.get(wordIndex) + "\")");
    }

    /**
     * The positions of every occurrence of {@code word} among {@link #words()}, ascending.
     *
     * @throws IllegalArgumentException if {@code word} is not one of the words, if it has no
     *                                  tokens, or if the prompt's tokens outrun its words
     */
    public int[] positionsOf(String word) {
        List<Integer> indices = new ArrayList<>();
        for (int k = 0; k < words.size(); k++) {
            if (words.get(k).equals(word)) {
                indices.add(k);
            }
        }
        if (indices.isEmpty()) {
            throw new IllegalArgumentException("word \"" + word + "\" is not in prompt \"" + prompt + "\"; words are"
                    + " split on single spaces and compared exactly (case and punctuation count): " + quotedWords());
        }
        return nonEmpty(collect(indices), "word \"" + word + "\"");
    }

    /**
     * A T-vector with 1 at the positions of each of {@code selected} and 0 elsewhere: one row of
     * LocalBlend's {@code alpha_layers}.
     *
     * @throws IllegalArgumentException as {@link #positionsOf(String)} for any of the words
     */
    public float[] selection(Collection<String> selected) {
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("select at least one word of prompt \"" + prompt + "\"");
        }
        float[] mask = new float[ids.size()];
        for (String word : selected) {
            for (int position : positionsOf(word)) {
                mask[position] = 1f;
            }
        }
        return mask;
    }

    private int[] collect(List<Integer> wordIndices) {
        if (overflowPosition >= 0) {
            throw new IllegalArgumentException("cannot match the words of prompt \"" + prompt + "\" to its tokens:"
                    + " the tokens decode to more characters than its words have (position " + overflowPosition
                    + " is past the last word). A character that the tokenizer cuts into byte pieces (such as a"
                    + " ligature) does this; Prompt-to-Prompt's get_word_inds fails here too. Rewrite that"
                    + " character");
        }
        return IntStream.range(0, wordOfPosition.length)
                .filter(p -> wordOfPosition[p] >= 0 && wordIndices.contains(wordOfPosition[p]))
                .toArray();
    }

    private int[] nonEmpty(int[] positions, String what) {
        if (positions.length == 0) {
            throw new IllegalArgumentException(what + " of prompt \"" + prompt + "\" has no tokens: words are"
                    + " matched to tokens by length, and an empty word (double, leading or trailing space), a"
                    + " '#' or a character cut into byte pieces earlier in the prompt shifts the words after it"
                    + " (as in Prompt-to-Prompt's get_word_inds). Words: " + quotedWords());
        }
        return positions;
    }

    private String quotedWords() {
        StringBuilder out = new StringBuilder("[");
        for (int k = 0; k < words.size(); k++) {
            out.append(k == 0 ? "" : ", ").append('"').append(words.get(k)).append('"');
        }
        return out.append(']').toString();
    }

    /** {@code len(text.strip("#"))} in Python: code points after dropping '#' at both ends. */
    private static int charLength(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && text.charAt(start) == '#') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == '#') {
            end--;
        }
        return text.codePointCount(start, end);
    }

    private static int codePoints(String text) {
        return text.codePointCount(0, text.length());
    }

    @Override
    public String toString() {
        return "WordIndices[prompt=\"" + prompt + "\", words=" + words.size() + ", tokens=" + ids.length() + "]";
    }
}
