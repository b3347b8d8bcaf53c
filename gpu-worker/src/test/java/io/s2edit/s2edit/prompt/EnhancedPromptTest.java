package io.s2edit.s2edit.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.s2edit.TinyFixture;
import org.junit.jupiter.api.Test;

/** The placeholder and the object word, each exactly once, with messages that say what is wrong. */
class EnhancedPromptTest {

    static void assertRejected(String prompt, String word, String expectedInMessage) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnhancedPrompt.identity(prompt, word));
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
    }

    @Test
    void plainPromptDropsThePlaceholder() {
        assertEquals("a photo of a lady", EnhancedPrompt.identity("a photo of a [I] lady", "lady").plain());
        assertEquals("lady with bangs", EnhancedPrompt.identity("[I] lady with bangs", "lady").plain());
        assertEquals("a lady", EnhancedPrompt.identity("a [i]lady", "lady").plain(), "any case, no space needed");
        EnhancedPrompt reference = EnhancedPrompt.parse("a model with [A] makeup", "makeup", Placeholder.ATTRIBUTE);
        assertEquals("a model with makeup", reference.plain());
        assertEquals("[A]", reference.token());
    }

    @Test
    void badPromptsAreRejectedNamingTheProblem() {
        assertRejected("a photo of a lady", "lady", "appears 0 times");
        assertRejected("a [I] photo of a [I] lady", "lady", "appears 2 times");
        assertRejected("a [I] lady with [A] makeup", "lady", "contains [A] as well as [I]");
        assertRejected("a photo of a [I] lady", "cat", "occurs 0 times");
        assertRejected("a [I] lady and a lady", "lady", "occurs 2 times");
        assertRejected("a [I] ladybird", "lady", "inside a longer word");
        assertRejected("a [I] lady", " ", "object word is empty");
        assertRejected("", "lady", "prompt is empty");
        assertEquals("a red car", EnhancedPrompt.identity("a [I] red  car", "red car").plain().replaceAll("\\s+", " "),
                "a phrase is a word sequence");
        assertEquals("lady", EnhancedPrompt.identity("a [I] Lady's hat", "lady").objectWord(), "case-insensitive, ' ends a word");
    }

    @Test
    void tokenPositionsComeFromTheTokenizer() {
        ClipTokenizer tokenizer = ClipTokenizer.load(TinyFixture.checkpoint().resolve("tokenizer"));
        EnhancedPrompt prompt = EnhancedPrompt.identity("a photo of a [I] lady", "lady");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> prompt.tokenize(tokenizer));
        assertTrue(e.getMessage().contains("addTokens"), e.getMessage());
        int id = tokenizer.addTokens("[I]")[0];
        EnhancedPrompt.Tokens tokens = prompt.tokenize(tokenizer);
        assertEquals(id, tokens.tokenId());
        assertEquals(5, tokens.tokenPosition(), "BOS a photo of a [I]");
        assertEquals(id, tokens.enhanced().idAt(5));
        assertArrayEquals(new int[] {6}, tokens.objectPositions());
        assertArrayEquals(new int[] {5}, tokens.plainObjectPositions());
        assertEquals(tokenizer.idOf("lady</w>"), tokens.plain().idAt(5));
    }
}
