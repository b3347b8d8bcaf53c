package io.s2edit.s2edit.p2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.s2edit.common.clip.ClipTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Word to token positions, get_word_inds style (BOS = 0); ids as transformers 5 gives them. */
class WordIndicesTest {

    private static final ClipTokenizer TOKENIZER = P2pReference.tokenizer();

    @Test
    void identityTokenAndObjectWordOfTheS2EditPrompt() {
        WordIndices words = WordIndices.of(TOKENIZER, "a photo of a [I] lady");
        assertEquals(List.of("a", "photo", "of", "a", "[I]", "lady"), words.words());
        assertArrayEquals(new int[] {5}, words.positionsOf("[I]"));
        assertArrayEquals(new int[] {6}, words.positionsOf("lady"));
        assertArrayEquals(new int[] {6}, words.positionsOf(5));
        assertArrayEquals(new int[] {1, 4}, words.positionsOf("a")); // every occurrence
    }

    @Test
    void aWordCoversAllItsBpeTokens() {
        WordIndices words = WordIndices.of(TOKENIZER, "a photo of a hippopotamus"); // hippo + potam + us
        assertArrayEquals(new int[] {5, 6, 7}, words.positionsOf("hippopotamus"));
        assertArrayEquals(new int[] {2, 3}, WordIndices.of(TOKENIZER, "a [I]lady").positionsOf("[I]lady"));
        assertArrayEquals(new int[] {2, 3, 4}, WordIndices.of(TOKENIZER, "a red-haired lady").positionsOf("red-haired"));
    }

    @Test
    void wordsKeepPunctuationAndCase() {
        WordIndices words = WordIndices.of(TOKENIZER, "A Lady, smiling!");
        assertTrue(words.contains("Lady,"));
        assertFalse(words.contains("lady,"));
        assertArrayEquals(new int[] {2, 3}, words.positionsOf("Lady,")); // lady + ","
        assertArrayEquals(new int[] {4, 5}, words.positionsOf("smiling!"));
    }

    @Test
    void selectionMarksTheWordsTokens() {
        float[] mask = WordIndices.of(TOKENIZER, "a photo of a [I] lady").selection(List.of("lady", "[I]"));
        assertEquals(77, mask.length);
        for (int t = 0; t < mask.length; t++) {
            assertEquals(t == 5 || t == 6 ? 1f : 0f, mask[t], "position " + t);
        }
    }

    @Test
    void anEmptyWordTakesATokenAsInTheReference() {
        WordIndices words = WordIndices.of(TOKENIZER, "a  cat on a sofa");
        assertEquals(6, words.wordCount()); // a, "", cat, on, a, sofa
        assertArrayEquals(new int[] {2}, words.positionsOf(1)); // the empty word takes "cat"
        assertArrayEquals(new int[] {3, 4}, words.positionsOf("cat")); // "on" and "a": 3 characters
    }
}
