package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Behaviour of the public API on CLIP's vocabulary (ids checked against transformers 5). */
class ClipTokenizerTest {

    private static final int BOS = 49406;
    private static final int EOS = 49407;
    private static final int A = 320;
    private static final int LADY = 2909;

    private final ClipTokenizer tokenizer = ClipTokenizer.load(ReferenceTokenizer.dir());

    @Test
    void readsSpecialTokensAndLengthFromTheFolder() {
        assertEquals(77, tokenizer.maxLength());
        assertEquals(BOS, tokenizer.bosId());
        assertEquals(EOS, tokenizer.eosId());
        assertEquals(EOS, tokenizer.padId());
        assertEquals(49408, tokenizer.vocabSize());
        assertEquals(LADY, tokenizer.idOf("lady</w>"));
    }

    @Test
    void encodesWithStartEndAndEndPadding() {
        TokenIds ids = tokenizer.encode("a lady");
        assertEquals(77, ids.size());
        assertEquals(4, ids.length());
        assertEquals(3, ids.eosIndex());
        assertArrayEquals(new int[] {BOS, A, LADY, EOS, EOS}, Arrays.copyOf(ids.ids(), 5));
        assertEquals(EOS, ids.idAt(76));
    }

    @Test
    void addedTokensGetIdsFromTheVocabularySizeUpAndKeepThem() {
        assertArrayEquals(new int[] {49408, 49409}, tokenizer.addTokens("[I]", "[A]"));
        assertArrayEquals(new int[] {49409, 49410}, tokenizer.addTokens("[A]", "[B]"));
        assertArrayEquals(new int[] {LADY}, tokenizer.addTokens("lady</w>")); // already in the vocabulary
        assertEquals(49408, tokenizer.idOf("[I]"));
        assertEquals(49411, tokenizer.vocabSize());
    }

    @Test
    void addedTokensMatchInAnyCaseWithOrWithoutSpaces() {
        tokenizer.addTokens("[I]");
        int[] expected = {BOS, A, 49408, LADY, EOS};
        assertArrayEquals(expected, Arrays.copyOf(tokenizer.encode("a [I] lady").ids(), 5));
        assertArrayEquals(expected, Arrays.copyOf(tokenizer.encode("A [i]   LADY").ids(), 5));
        assertArrayEquals(expected, Arrays.copyOf(tokenizer.encode("a[I]lady").ids(), 5));
        assertEquals(5, tokenizer.tokenCount("[ I ]")); // spaced out it is three ordinary tokens
    }

    @Test
    void specialTokenTextMatchesOnlyExactly() {
        assertArrayEquals(new int[] {BOS, BOS, 343, EOS}, Arrays.copyOf(tokenizer.encode("<|startoftext|>x").ids(), 4));
        assertEquals(10, tokenizer.tokenCount("<|STARTOFTEXT|>x")); // cut into ordinary BPE tokens
    }

    @Test
    void rejectsTooLongPromptsNamingTheCount() {
        String prompt = "a ".repeat(79);
        PromptTooLongException e = assertThrows(PromptTooLongException.class, () -> tokenizer.encode(prompt));
        assertEquals("prompt is 81 tokens long (including start and end tokens); the limit is 77."
                + " Shorten it by 4 tokens", e.getMessage());
        assertEquals(81, tokenizer.tokenCount(prompt));
        assertEquals(77, tokenizer.encode("a ".repeat(75)).length()); // exactly at the limit is fine
    }

    @Test
    void decodeTokenGivesTheTextTransformersDecodesOneIdTo() {
        tokenizer.addTokens("[I]");
        assertEquals("lady", tokenizer.decodeToken(LADY)); // "lady</w>": end-of-word marker and space dropped
        assertEquals("hippo", tokenizer.decodeToken(28398)); // no </w>: a word's first piece
        assertEquals("[i]", tokenizer.decodeToken(49408)); // normalized added tokens are stored lowercased
        assertEquals("<|endoftext|>", tokenizer.decodeToken(EOS));
        assertEquals("\uFFFD", tokenizer.decodeToken(171)); // "ï" = byte EF: a third of a character
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.decodeToken(49409));
        assertTrue(e.getMessage().contains("49409"), e.getMessage());
    }

    @Test
    void positionsOfFindsIdentityTokenAndObjectWord() {
        tokenizer.addTokens("[I]", "[A]");
        String prompt = "a photo of a [I] lady";
        assertArrayEquals(new int[] {5}, tokenizer.positionsOf(prompt, "[I]"));
        assertArrayEquals(new int[] {6}, tokenizer.positionsOf(prompt, "lady"));
        assertArrayEquals(new int[] {1, 4}, tokenizer.positionsOf(prompt, "a")); // every occurrence
        assertEquals(49408, tokenizer.encode(prompt).idAt(5));
        assertEquals(LADY, tokenizer.encode(prompt).idAt(6));
    }

    @Test
    void positionsOfCoversAllTokensOfAWordAndMatchesWholePiecesOnly() {
        assertEquals(2, tokenizer.tokenCount("camelcase") - 2); // camel + case</w>
        assertArrayEquals(new int[] {2, 3}, tokenizer.positionsOf("a camelcase hat", "camelCase"));
        assertArrayEquals(new int[] {2}, tokenizer.positionsOf("a lady's hat.", "lady"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.positionsOf("a ladybird", "lady"));
        assertTrue(e.getMessage().contains("does not occur"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.positionsOf("a lady", " "));
    }

    @Test
    void idOfRefusesUnknownTokens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.idOf("lady photo"));
        assertTrue(e.getMessage().contains("</w>"), e.getMessage());
    }
}
