package io.s2edit.common.clip;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * Text cleanup before pre-tokenisation, as transformers 5's {@code CLIPTokenizer} does it.
 *
 * <p>transformers 5 has no "slow" Python CLIP tokenizer any more: {@code CLIPTokenizer} is
 * backed by HF {@code tokenizers} with the normalizer
 * {@code Sequence([NFC(), Replace(Regex("\s+"), " "), Lowercase()])}. So, unlike OpenAI CLIP's
 * {@code SimpleTokenizer}, there is <em>no</em> {@code ftfy.fix_text}, no
 * {@code html.unescape} ({@code "&amp;"} stays five characters) and no strip (leading and
 * trailing spaces are dropped later by the pre-tokeniser anyway). The steps:
 * <ol>
 *   <li>Unicode NFC;</li>
 *   <li>every run of Unicode white space ({@code White_Space}, e.g. tab, newline, U+00A0,
 *       U+3000) becomes one space;</li>
 *   <li>lowercase character by character with the full Unicode mapping, as Rust's
 *       {@code char::to_lowercase}: {@code İ} (U+0130) becomes {@code i} + U+0307, and there is
 *       no context rule, so a word-final {@code Σ} becomes {@code σ}, not {@code ς}.</li>
 * </ol>
 * Java 17 knows Unicode 13; characters added to Unicode later may be classified differently
 * from the Rust library.
 */
final class ClipTextCleaner {

    private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /** The one code point whose full lowercase mapping is longer than one character. */
    private static final int CAPITAL_I_WITH_DOT_ABOVE = 0x0130;

    private ClipTextCleaner() {
    }

    /** Applies NFC, white-space collapsing and lowercasing to {@code text}. */
    static String clean(String text) {
        String composed = Normalizer.normalize(text, Normalizer.Form.NFC);
        String spaced = WHITESPACE_RUN.matcher(composed).replaceAll(" ");
        return lowercase(spaced);
    }

    /** Lowercases code point by code point (no locale, no context-dependent rules). */
    static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == CAPITAL_I_WITH_DOT_ABOVE) {
                out.append("i\u0307");
            } else {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
        });
        return out.toString();
    }
}
