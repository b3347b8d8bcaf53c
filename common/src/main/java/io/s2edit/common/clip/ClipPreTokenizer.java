package io.s2edit.common.clip;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits cleaned text into the words that BPE encodes one at a time.
 *
 * <p>Mirrors the pre-tokenizer of transformers 5's {@code CLIPTokenizer}, a sequence of
 * <ol>
 *   <li>{@code Split} on CLIP's pattern ({@code pat} in OpenAI's {@code simple_tokenizer.py})
 *       keeping only the matches: the special-token strings, the contractions {@code 's 't 're
 *       've 'm 'll 'd}, runs of letters, single digits, and runs of other non-space characters.
 *       White space is dropped. HF applies it case-sensitively to already lowercased text;</li>
 *   <li>{@code ByteLevel(add_prefix_space=False)}, which splits each piece again with GPT-2's
 *       pattern. This changes only pieces such as {@code "<|startoftext|>"} that reach it as
 *       text (e.g. written in capitals, so not matched as a special token): they become
 *       {@code "<|"}, {@code "startoftext"}, {@code "|>"}.</li>
 * </ol>
 * {@code \s} is Unicode {@code White_Space}, {@code \p{L}} letters and {@code \p{N}} numbers.
 */
final class ClipPreTokenizer {

    private static final Pattern CLIP_PATTERN = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private ClipPreTokenizer() {
    }

    /** The words of {@code cleanedText} (output of {@link ClipTextCleaner#clean}), in order. */
    static List<String> split(String cleanedText) {
        List<String> words = new ArrayList<>();
        for (String piece : matches(CLIP_PATTERN, cleanedText)) {
            words.addAll(matches(GPT2_PATTERN, piece));
        }
        return words;
    }

    private static List<String> matches(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group());
        }
        return found;
    }
}
