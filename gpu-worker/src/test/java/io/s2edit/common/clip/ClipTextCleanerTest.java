package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Expected values were checked against transformers 5's {@code CLIPTokenizer} normalizer. */
class ClipTextCleanerTest {

    @Test
    void collapsesUnicodeWhiteSpaceRunsAndLowercases() {
        assertEquals(" a photo of a cat ", ClipTextCleaner.clean("\tA  Photo\u00A0of\na\u3000CAT\r\n"));
    }

    @Test
    void composesToNfc() {
        assertEquals("caf\u00E9", ClipTextCleaner.clean("cafe\u0301"));
    }

    @Test
    void keepsHtmlEntitiesBecauseThereIsNoFtfyOrUnescape() {
        assertEquals("fish &amp; chips", ClipTextCleaner.clean("fish &amp; chips"));
    }

    @Test
    void lowercasesPerCharacterWithTheFullMapping() {
        assertEquals("i\u0307stanbul", ClipTextCleaner.clean("\u0130stanbul")); // İ -> i + combining dot
        assertEquals("οδοσ", ClipTextCleaner.clean("ΟΔΟΣ")); // no final-sigma rule
    }

    @Test
    void zeroWidthSpaceIsNotWhiteSpace() {
        assertEquals("a\u200Bb", ClipTextCleaner.clean("a\u200Bb"));
    }
}
