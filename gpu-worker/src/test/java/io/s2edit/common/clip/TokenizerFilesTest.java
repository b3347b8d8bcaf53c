package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the optional files of a tokenizer folder; HF results noted were checked with transformers 5.24. */
class TokenizerFilesTest {

    @TempDir
    Path dir;

    private ClipTokenizer loadWithConfig(String tokenizerConfig) throws IOException {
        for (String file : new String[] {"vocab.json", "merges.txt"}) {
            Files.copy(ReferenceTokenizer.dir().resolve(file), dir.resolve(file));
        }
        if (tokenizerConfig != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        return ClipTokenizer.load(dir);
    }

    @Test
    void maxLengthDefaultsTo77WhenAbsentOrUnset() throws IOException {
        assertEquals(77, loadWithConfig(null).maxLength());
    }

    @Test
    void maxLengthIgnoresHfUnsetSentinel() throws IOException {
        assertEquals(77, loadWithConfig("{\"model_max_length\": 1000000000000000019884624838656}").maxLength());
    }

    @Test
    void maxLengthComesFromTheConfig() throws IOException {
        assertEquals(16, loadWithConfig("{\"model_max_length\": 16}").maxLength());
    }

    @Test
    void oldSdConfigMakesStartOfTextMatchInAnyCase() throws IOException {
        // SD v1's tokenizer_config.json declares the specials as AddedToken objects, normalized.
        // transformers 5 then matches <|startoftext|> case-insensitively but not <|endoftext|>,
        // which the plain-string pad_token also declares.
        String token = "{\"__type\": \"AddedToken\", \"content\": \"%s\", \"normalized\": true,"
                + " \"lstrip\": false, \"rstrip\": false, \"single_word\": false}";
        ClipTokenizer tokenizer = loadWithConfig("{\"model_max_length\": 77,"
                + " \"bos_token\": " + String.format(token, "<|startoftext|>") + ","
                + " \"eos_token\": " + String.format(token, "<|endoftext|>") + ","
                + " \"unk_token\": " + String.format(token, "<|endoftext|>") + ","
                + " \"pad_token\": \"<|endoftext|>\"}");
        assertArrayEquals(new int[] {49406, 49406, 343, 49407},
                Arrays.copyOf(tokenizer.encode("<|STARTOFTEXT|>x").ids(), 4));
        assertTrue(tokenizer.tokenCount("<|ENDOFTEXT|>") > 3);
    }

    @Test
    void readsAddedTokensDecoder() throws IOException {
        ClipTokenizer tokenizer = loadWithConfig("{\"added_tokens_decoder\": {\"49408\": {\"content\": \"[I]\","
                + " \"normalized\": true, \"special\": false, \"lstrip\": false, \"rstrip\": false,"
                + " \"single_word\": false}}}");
        assertEquals(49408, tokenizer.idOf("[I]"));
        assertEquals(49408, tokenizer.encode("a [i]").idAt(2));
        assertArrayEquals(new int[] {49409}, tokenizer.addTokens("[A]"));
    }

    @Test
    void refusesSingleWordAddedTokens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loadWithConfig(
                "{\"added_tokens_decoder\": {\"49408\": {\"content\": \"[I]\", \"single_word\": true}}}"));
        assertTrue(e.getMessage().contains("single_word"), e.getMessage());
    }

    @Test
    void missingVocabularyNamesTheFile() {
        Exception e = assertThrows(Exception.class, () -> ClipTokenizer.load(dir));
        assertTrue(e.getMessage().contains("vocab.json"), e.getMessage());
    }
}
