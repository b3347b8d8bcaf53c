package io.s2edit.common.clip;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The added tokens of a tokenizer and the splitting of text around them; immutable.
 *
 * <p>Mirrors {@code AddedVocabulary} of HF {@code tokenizers}: the prompt is first split on the
 * non-normalized tokens (raw text, exact match); each remaining segment is cleaned
 * ({@link ClipTextCleaner}) and split on the normalized tokens, whose patterns are their cleaned
 * content ({@code "[I]"} is looked for as {@code "[i]"}). Matching is leftmost-longest. No space
 * is needed around a match ({@code "a[I]b"} splits into {@code "a"}, {@code [I]}, {@code "b"}),
 * and spaces next to it stay in the neighbouring text, where the pre-tokeniser drops them.
 */
final class AddedVocabulary {

    /** A stretch of text: either an added token or text that still needs BPE. */
    record Segment(String text, AddedToken token) {

        boolean isToken() {
            return token != null;
        }
    }

    private final Map<String, AddedToken> byContent; // insertion order
    private final Map<String, AddedToken> rawPatterns;
    private final Map<String, AddedToken> cleanedPatterns;

    AddedVocabulary() {
        this(new LinkedHashMap<>());
    }

    private AddedVocabulary(Map<String, AddedToken> byContent) {
        this.byContent = byContent;
        this.rawPatterns = new LinkedHashMap<>();
        this.cleanedPatterns = new LinkedHashMap<>();
        for (AddedToken token : byContent.values()) {
            if (token.normalized()) {
                String pattern = ClipTextCleaner.clean(token.content());
                if (!pattern.isEmpty()) {
                    cleanedPatterns.putIfAbsent(pattern, token);
                }
            } else {
                rawPatterns.putIfAbsent(token.content(), token);
            }
        }
    }

    /** A copy with {@code token} added, or replacing the token with the same content. */
    AddedVocabulary with(AddedToken token) {
        Map<String, AddedToken> copy = new LinkedHashMap<>(byContent);
        copy.put(token.content(), token);
        return new AddedVocabulary(copy);
    }

    /** The token whose content is exactly {@code content}, or {@code null}. */
    AddedToken get(String content) {
        return byContent.get(content);
    }

    /** The token with {@code id}, or {@code null}; the first added wins if two share an id. */
    AddedToken byId(int id) {
        for (AddedToken token : byContent.values()) {
            if (token.id() == id) {
                return token;
            }
        }
        return null;
    }

    /** The largest id among the added tokens, or -1 when there are none. */
    int maxId() {
        return byContent.values().stream().mapToInt(AddedToken::id).max().orElse(-1);
    }

    /** Splits the raw prompt on the non-normalized tokens. */
    List<Segment> splitRaw(String rawText) {
        return split(rawText, rawPatterns);
    }

    /** Splits cleaned text on the normalized tokens. */
    List<Segment> splitCleaned(String cleanedText) {
        return split(cleanedText, cleanedPatterns);
    }

    private static List<Segment> split(String text, Map<String, AddedToken> patterns) {
        List<Segment> segments = new ArrayList<>();
        int textStart = 0;
        int i = 0;
        while (i < text.length()) {
            String match = longestMatchAt(text, i, patterns);
            if (match == null) {
                i++;
                continue;
            }
            if (i > textStart) {
                segments.add(new Segment(text.substring(textStart, i), null));
            }
            segments.add(new Segment(match, patterns.get(match)));
            i += match.length();
            textStart = i;
        }
        if (textStart < text.length()) {
            segments.add(new Segment(text.substring(textStart), null));
        }
        return segments;
    }

    private static String longestMatchAt(String text, int start, Map<String, AddedToken> patterns) {
        String longest = null;
        for (String pattern : patterns.keySet()) {
            if (text.startsWith(pattern, start) && (longest == null || pattern.length() > longest.length())) {
                longest = pattern;
            }
        }
        return longest;
    }
}
