package io.s2edit.common.prompts;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.common.problems.Require;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompt rules of S2Edit (Liu et al., Sec. 3.1): an enhanced prompt holds the identity
 * token {@code [I]} exactly once (compositions add {@code [A]}), and the source prompt names
 * the object exactly once, as a whole word, so its cross-attention can give the object mask.
 *
 * <p>The length rule is the CLIP text encoder's: 77 positions including BOS and EOS. With the
 * checkpoint's tokenizer at hand ({@link #promptTokenizer}, the worker's own
 * {@link ClipTokenizer}), {@link #requireFitsClip(String, String, ClipTokenizer)} counts exactly;
 * the gateway does so when {@code s2edit.tokenizer.dir} is set. Without it,
 * {@link #minimumClipTokens} gives a <em>lower bound</em> that is exact arithmetic, not an
 * estimate: CLIP's pre-tokenizer splits lower-cased text with {@link #CLIP_PRE_TOKENIZER},
 * byte-pair encoding then turns each piece into one or more tokens, so the number of pieces can
 * never exceed the number of tokens. A prompt whose lower bound already passes 77 is certainly
 * too long and is refused; any prompt below it is left to the worker. The messages' records
 * check the lower bound, as they are built where no tokenizer is.
 */
public final class PromptRules {

    /** The identity token of the enhanced prompt. */
    public static final String IDENTITY_TOKEN = "[I]";
    /** The reference-attribute token of compositional editing. */
    public static final String ATTRIBUTE_TOKEN = "[A]";
    /** CLIP's context length, BOS and EOS included. */
    public static final int CLIP_MAX_TOKENS = 77;

    /**
     * CLIP's pre-tokenizer pattern (openai/CLIP {@code simple_tokenizer.py}; letters and
     * digits by Unicode class). Each match is encoded into at least one BPE token.
     */
    public static final Pattern CLIP_PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");

    /** An object or attribute word: letters and digits, inner hyphens or apostrophes allowed. */
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['-][\\p{L}\\p{N}]+)*");
    private static final Pattern HTML_ENTITY = Pattern.compile("&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?");
    private static final Pattern NOT_PRINTABLE_ASCII = Pattern.compile("[^\\x20-\\x7E\\t\\n\\r]");

    private PromptRules() {
    }

    /**
     * Occurrences of {@code token} in {@code prompt}, in any case: the engine's tokenizer matches
     * its added tokens ({@code [I]}, {@code [A]}) case-insensitively before BPE, so {@code [i]}
     * is the identity token too.
     */
    public static int count(String prompt, String token) {
        String p = prompt.toLowerCase(Locale.ROOT);
        String t = token.toLowerCase(Locale.ROOT);
        int n = 0;
        for (int i = p.indexOf(t); i >= 0; i = p.indexOf(t, i + t.length())) {
            n++;
        }
        return n;
    }

    /** {@code prompt} with the added tokens, in any case, replaced by {@code with}. */
    private static String replaceTokens(String prompt, String with) {
        return prompt.replaceAll("(?i)\\[I\\]|\\[A\\]", Matcher.quoteReplacement(with));
    }

    /** {@code prompt} holds {@code [I]} exactly once; else the problem says how often it was found. */
    public static void requireIdentityToken(String field, String prompt) {
        requireTokenOnce(field, prompt, IDENTITY_TOKEN, ProblemType.IDENTITY_TOKEN_MISSING, ProblemType.IDENTITY_TOKEN_REPEATED);
    }

    /** {@code prompt} holds {@code [A]} exactly once. */
    public static void requireAttributeToken(String field, String prompt) {
        requireTokenOnce(field, prompt, ATTRIBUTE_TOKEN, ProblemType.INVALID_VALUE, ProblemType.INVALID_VALUE);
    }

    private static void requireTokenOnce(String field, String prompt, String token, ProblemType missing, ProblemType repeated) {
        Require.notBlank(field, prompt);
        int n = count(prompt, token);
        if (n == 0) {
            throw new InvalidValueException(missing, field, field + " must contain the token " + token
                    + " exactly once, as in \"a photo of a " + token + " lady\"; got \"" + prompt + "\"");
        }
        if (n > 1) {
            throw new InvalidValueException(repeated, field, field + " must contain the token " + token
                    + " exactly once, found it " + n + " times in \"" + prompt + "\"");
        }
    }

    /** A single word: letters/digits with inner hyphens or apostrophes, no spaces. */
    public static void requireSingleWord(String field, String word) {
        Require.notBlank(field, word);
        if (!WORD.matcher(word).matches()) {
            throw new InvalidValueException(field, field + " must be one word (letters, digits, inner - or '), got \"" + word + "\"");
        }
    }

    /**
     * How often {@code word} occurs in {@code prompt} as a whole word, ignoring case: "man" is
     * in "a photo of a man" but not in "a photo of a woman" or "a mannequin". A phrase ("red
     * car") matches with any white space between its words.
     */
    public static int countWord(String prompt, String word) {
        StringBuilder regex = new StringBuilder("(?<![\\p{L}\\p{N}])");
        String[] parts = word.strip().split("\\s+");
        for (int i = 0; i < parts.length; i++) {
            regex.append(i == 0 ? "" : "\\s+").append(Pattern.quote(parts[i]));
        }
        regex.append("(?![\\p{L}\\p{N}])");
        Pattern p = Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        Matcher m = p.matcher(replaceTokens(prompt, " "));
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** {@code word} occurs in {@code prompt} exactly once as a whole word. */
    public static void requireWordOnce(String promptField, String prompt, String wordField, String word) {
        requireSingleWord(wordField, word);
        int n = countWord(prompt, word);
        if (n == 0) {
            throw new InvalidValueException(ProblemType.OBJECT_WORD_NOT_IN_PROMPT, wordField, wordField + " \"" + word
                    + "\" must appear as a whole word in " + promptField + " \"" + prompt + "\"");
        }
        if (n > 1) {
            throw new InvalidValueException(ProblemType.OBJECT_WORD_REPEATED, wordField, wordField + " \"" + word
                    + "\" appears " + n + " times in " + promptField + " \"" + prompt
                    + "\"; it must name the object exactly once so its attention map is unambiguous");
        }
    }

    /**
     * A lower bound of the number of CLIP tokens of {@code prompt}, BOS and EOS included.
     *
     * <p>Steps: 1. drop HTML entities, control characters and every non-ASCII character (the
     * clean-ups CLIP tokenizers apply - NFC in transformers, ftfy and HTML unescaping in
     * OpenAI's - only rewrite those, and deleting characters never splits a pre-tokenizer piece,
     * so it can only lower the count); 2. write {@code [I]} and {@code [A]}, in any case, as one
     * piece each (the engine matches them as added tokens before BPE); 3. lower-case and count
     * the pieces of {@link #CLIP_PRE_TOKENIZER}; 4. add BOS and EOS.
     */
    public static int minimumClipTokens(String prompt) {
        String text = HTML_ENTITY.matcher(prompt).replaceAll("");                  // 1.
        text = NOT_PRINTABLE_ASCII.matcher(text).replaceAll("");
        text = replaceTokens(text, " # ");                                          // 2.
        Matcher m = CLIP_PRE_TOKENIZER.matcher(text.toLowerCase(Locale.ROOT));      // 3.
        int pieces = 0;
        while (m.find()) {
            pieces++;
        }
        return pieces + 2;                                                           // 4.
    }

    /** Refuses a prompt that is certainly longer than {@link #CLIP_MAX_TOKENS}; see {@link #minimumClipTokens}. */
    public static void requireFitsClip(String field, String prompt) {
        int atLeast = minimumClipTokens(prompt);
        if (atLeast > CLIP_MAX_TOKENS) {
            throw new InvalidValueException(ProblemType.PROMPT_TOO_LONG, field, field + " has at least " + atLeast
                    + " CLIP tokens (BOS and EOS included), more than the text encoder's " + CLIP_MAX_TOKENS
                    + "; shorten it");
        }
    }

    /**
     * The tokenizer of a diffusers {@code tokenizer/} folder with {@link #IDENTITY_TOKEN} and
     * {@link #ATTRIBUTE_TOKEN} added, in that order, as the worker adds them: each counts as one
     * token, in any case, as in the engine.
     *
     * @throws java.io.UncheckedIOException     if the folder cannot be read
     * @throws IllegalArgumentException if its files are not a CLIP tokenizer
     */
    public static ClipTokenizer promptTokenizer(Path tokenizerDir) {
        ClipTokenizer tokenizer = ClipTokenizer.load(tokenizerDir);
        tokenizer.addTokens(IDENTITY_TOKEN, ATTRIBUTE_TOKEN);
        return tokenizer;
    }

    /**
     * Refuses a prompt whose exact CLIP token count, BOS and EOS included, exceeds the
     * tokenizer's {@link ClipTokenizer#maxLength() maxLength} (77): the count the worker's text
     * encoder would refuse. Use a tokenizer from {@link #promptTokenizer}, so [I] and [A] count
     * as one token each.
     */
    public static void requireFitsClip(String field, String prompt, ClipTokenizer tokenizer) {
        Require.notBlank(field, prompt);
        int tokens = tokenizer.tokenCount(prompt);
        int max = tokenizer.maxLength();
        if (tokens > max) {
            throw new InvalidValueException(ProblemType.PROMPT_TOO_LONG, field, field + " is " + tokens
                    + " CLIP tokens (BOS and EOS included), more than the text encoder's " + max
                    + "; shorten it by " + (tokens - max) + " tokens");
        }
    }
}
