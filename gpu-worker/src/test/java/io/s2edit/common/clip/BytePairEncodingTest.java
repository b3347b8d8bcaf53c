package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BytePairEncodingTest {

    /** A toy vocabulary: single letters, with and without {@code </w>}, plus merge results. */
    private static BytePairEncoding toy(List<String> merges, String... mergedTokens) {
        Map<String, Integer> vocab = new HashMap<>();
        for (String letter : List.of("a", "b", "l", "o", "w", "e", "r")) {
            vocab.put(letter, vocab.size());
            vocab.put(letter + "</w>", vocab.size());
        }
        for (String token : mergedTokens) {
            vocab.put(token, vocab.size());
        }
        vocab.put("<unk>", vocab.size());
        return new BytePairEncoding(vocab, merges, vocab.get("<unk>"));
    }

    @Test
    void lastSymbolCarriesTheEndOfWordMarker() {
        BytePairEncoding bpe = toy(List.of());
        assertEquals(List.of("l", "o", "w</w>"), bpe.split("low"));
        assertEquals(List.of("a</w>"), bpe.split("a"));
    }

    @Test
    void appliesMergesByRankNotByPosition() {
        // "o w</w>" ranks before "l o", so "low" becomes l + ow</w>, not lo + w</w>.
        BytePairEncoding bpe = toy(List.of("o w</w>", "l o", "l ow</w>"), "ow</w>", "lo", "low</w>");
        assertEquals(List.of("low</w>"), bpe.split("low"));
        BytePairEncoding other = toy(List.of("l o", "o w</w>"), "lo", "ow</w>");
        assertEquals(List.of("lo", "w</w>"), other.split("low"));
    }

    @Test
    void mergesEveryOccurrenceLeftToRightWithoutOverlap() {
        BytePairEncoding bpe = toy(List.of("a a"), "aa");
        assertEquals(List.of("aa", "aa", "a</w>"), bpe.split("aaaaa"));
    }

    @Test
    void knownClipMerge() {
        BytePairEncoding bpe = new BytePairEncoding(
                Map.of("l", 0, "a", 1, "d", 2, "y</w>", 3, "la", 4, "dy</w>", 5, "lady</w>", 6, "<|endoftext|>", 7),
                List.of("l a", "d y</w>", "la dy</w>"), 7);
        assertEquals(List.of("lady</w>"), bpe.split("lady"));
        assertArrayEquals(new int[] {6}, bpe.encode("lady"));
    }

    @Test
    void symbolOutsideTheVocabularyBecomesUnknown() {
        BytePairEncoding bpe = toy(List.of());
        int unk = bpe.vocabSize() - 1;
        assertArrayEquals(new int[] {bpe.idOf("a"), unk, bpe.idOf("b</w>")}, bpe.encode("azb"));
    }

    @Test
    void refusesMergesThatNameMissingTokens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> toy(List.of("a b")));
        assertTrue(e.getMessage().contains("\"ab\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> toy(List.of("a b c"), "abc"));
    }
}
