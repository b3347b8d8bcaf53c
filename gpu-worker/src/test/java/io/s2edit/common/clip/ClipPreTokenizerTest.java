package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClipPreTokenizerTest {

    @Test
    void splitsLettersDigitsPunctuationAndContractions() {
        assertEquals(List.of("it", "'s", "a", "dog", "'s", "life", "!!!"), ClipPreTokenizer.split("it's a dog's life!!!"));
        assertEquals(List.of("3", ".", "1", "4", "k"), ClipPreTokenizer.split("3.14k"));
        assertEquals(List.of("((", "masterpiece", "))", "[", "best"), ClipPreTokenizer.split("((masterpiece)) [best"));
    }

    @Test
    void dropsWhiteSpace() {
        assertEquals(List.of("a", "b"), ClipPreTokenizer.split(" a  b "));
        assertEquals(List.of(), ClipPreTokenizer.split("   "));
    }

    @Test
    void specialTokenTextIsCutByTheByteLevelStep() {
        // Reaches the pre-tokeniser only when it was not matched as a special token.
        assertEquals(List.of("<|", "startoftext", "|>", "x"), ClipPreTokenizer.split("<|startoftext|>x"));
    }
}
