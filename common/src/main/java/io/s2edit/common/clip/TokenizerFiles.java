package io.s2edit.common.clip;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a diffusers {@code tokenizer/} folder says about the CLIP tokenizer.
 *
 * <p>Read, as transformers 5 reads them:
 * <ul>
 *   <li>{@code vocab.json} (token to id) and {@code merges.txt} (one merge per line, a first
 *       line starting with {@code #version} skipped), both required;</li>
 *   <li>{@code tokenizer_config.json} and {@code special_tokens_map.json}, optional:
 *       {@code model_max_length} (77 when absent or HF's "unset" sentinel 1e30) and the
 *       {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}, each a string
 *       or an {@code AddedToken} object. The special tokens are added tokens; one is matched in
 *       the cleaned text only if every declaration of its content says
 *       {@code "normalized": true} (a plain string counts as {@code false}); this is what
 *       transformers 5 makes of SD v1's old configs, where {@code <|startoftext|>} ends up
 *       normalized and {@code <|endoftext|>}, also declared as the plain {@code pad_token},
 *       does not;</li>
 *   <li>explicit added-token lists, optional and overriding the above for their contents:
 *       {@code added_tokens_decoder} in {@code tokenizer_config.json}, the
 *       {@code added_tokens} array of {@code tokenizer.json} and the legacy
 *       {@code added_tokens.json} ({@code {"content": id}}, normalized, not special).</li>
 * </ul>
 * Added tokens declared {@code single_word} are refused (not implemented); {@code lstrip} and
 * {@code rstrip} are ignored because the pre-tokeniser drops the spaces they would strip.
 *
 * @param vocab       token to id
 * @param merges      merge pairs in rank order, {@code "left right"}
 * @param maxLength   tokens per encoded prompt, start and end tokens included
 * @param bos         start-of-text token
 * @param eos         end-of-text token
 * @param unk         token for symbols missing from the vocabulary
 * @param pad         token that fills the sequence after the end token
 * @param addedTokens added tokens in declaration order
 */
record TokenizerFiles(
        Map<String, Integer> vocab,
        List<String> merges,
        int maxLength,
        String bos,
        String eos,
        String unk,
        String pad,
        List<AddedToken> addedTokens) {

    /** CLIP's context length: 77 positions in the text encoder. */
    static final int DEFAULT_MAX_LENGTH = 77;
    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SPECIAL_ROLES = {"bos_token", "eos_token", "unk_token", "pad_token"};

    /** Reads the folder; fails naming the file when a required one is missing or malformed. */
    static TokenizerFiles read(Path dir) {
        Map<String, Integer> vocab = readVocab(dir.resolve("vocab.json"));
        List<String> merges = readMerges(dir.resolve("merges.txt"));
        JsonNode config = readOptionalJson(dir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptionalJson(dir.resolve("special_tokens_map.json"));

        Map<String, String> roles = new LinkedHashMap<>(Map.of(
                "bos_token", START_OF_TEXT, "eos_token", END_OF_TEXT,
                "unk_token", END_OF_TEXT, "pad_token", END_OF_TEXT));
        Map<String, Boolean> normalizedByContent = new LinkedHashMap<>();
        for (String role : SPECIAL_ROLES) {
            for (JsonNode source : new JsonNode[] {config, specialMap}) {
                JsonNode node = source.path(role);
                if (node.isMissingNode() || node.isNull()) {
                    continue;
                }
                String content = node.isTextual() ? node.asText() : node.path("content").asText();
                boolean normalized = !node.isTextual() && node.path("normalized").asBoolean(false);
                roles.put(role, content);
                normalizedByContent.merge(content, normalized, Boolean::logicalAnd);
            }
        }

        Map<String, AddedToken> added = new LinkedHashMap<>();
        for (String role : SPECIAL_ROLES) {
            String content = roles.get(role);
            Integer id = vocab.get(content);
            if (id == null) {
                throw new IllegalArgumentException(role + " \"" + content + "\" is not in " + dir.resolve("vocab.json"));
            }
            added.putIfAbsent(content, new AddedToken(content, id,
                    normalizedByContent.getOrDefault(content, false), true));
        }
        for (AddedToken token : explicitAddedTokens(dir, config)) {
            added.put(token.content(), token);
        }

        return new TokenizerFiles(vocab, merges, maxLength(config),
                roles.get("bos_token"), roles.get("eos_token"), roles.get("unk_token"), roles.get("pad_token"),
                List.copyOf(added.values()));
    }

    private static int maxLength(JsonNode config) {
        JsonNode node = config.path("model_max_length");
        if (node.isIntegralNumber() && node.canConvertToInt() && node.asInt() > 0) {
            return node.asInt();
        }
        return DEFAULT_MAX_LENGTH;
    }

    private static List<AddedToken> explicitAddedTokens(Path dir, JsonNode config) {
        List<AddedToken> tokens = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> decoder = config.path("added_tokens_decoder").fields();
        while (decoder.hasNext()) {
            Map.Entry<String, JsonNode> entry = decoder.next();
            tokens.add(addedToken(entry.getValue(), Integer.parseInt(entry.getKey()), dir));
        }
        for (JsonNode node : readOptionalJson(dir.resolve("tokenizer.json")).path("added_tokens")) {
            tokens.add(addedToken(node, node.path("id").asInt(), dir));
        }
        Iterator<Map.Entry<String, JsonNode>> legacy = readOptionalJson(dir.resolve("added_tokens.json")).fields();
        while (legacy.hasNext()) {
            Map.Entry<String, JsonNode> entry = legacy.next();
            tokens.add(AddedToken.word(entry.getKey(), entry.getValue().asInt()));
        }
        return tokens;
    }

    private static AddedToken addedToken(JsonNode node, int id, Path dir) {
        String content = node.path("content").asText();
        if (node.path("single_word").asBoolean(false)) {
            throw new IllegalArgumentException("added token \"" + content + "\" in " + dir
                    + " is single_word, which this tokenizer does not implement");
        }
        boolean special = node.path("special").asBoolean(false);
        return new AddedToken(content, id, node.path("normalized").asBoolean(!special), special);
    }

    private static Map<String, Integer> readVocab(Path file) {
        try {
            return JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CLIP vocabulary " + file, e);
        }
    }

    private static List<String> readMerges(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CLIP merges " + file, e);
        }
        List<String> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if ((i == 0 && line.startsWith("#version")) || line.isEmpty()) {
                continue;
            }
            merges.add(line);
        }
        return merges;
    }

    private static JsonNode readOptionalJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
