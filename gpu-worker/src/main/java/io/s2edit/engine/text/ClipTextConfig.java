package io.s2edit.engine.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The transformers {@code CLIPTextConfig} ({@code text_encoder/config.json}); {@link #SD_V1} holds
 * the values of SD v1.x (openai/clip-vit-large-patch14's text tower).
 *
 * <p>The token ids recorded here are informational: SD v1.4's config says bos 0 / eos 2 / pad 1
 * while its tokenizer uses 49406 / 49407 / 49407. The model never reads them; the caller passes
 * the EOS positions (the tokenizer knows them).
 *
 * @param hiddenAct "quick_gelu" (CLIP, SD v1.x) or "gelu" (exact erf GELU)
 */
public record ClipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        float layerNormEps,
        int bosTokenId,
        int eosTokenId,
        int padTokenId) {

    /** SD v1.x's text encoder (the token ids as its tokenizer uses them). */
    public static final ClipTextConfig SD_V1 = new ClipTextConfig(49408, 768, 3072, 12, 12, 77, "quick_gelu", 1e-5f,
            49406, 49407, 49407);

    private static final ObjectMapper JSON = new ObjectMapper();

    public ClipTextConfig {
        if (!hiddenAct.equals("quick_gelu") && !hiddenAct.equals("gelu")) {
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported; supported: quick_gelu, gelu");
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                    + numAttentionHeads);
        }
        if (vocabSize < 1 || intermediateSize < 1 || numHiddenLayers < 1 || maxPositionEmbeddings < 1) {
            throw new IllegalArgumentException("vocab_size, intermediate_size, num_hidden_layers, max_position_embeddings must be"
                    + " positive: " + vocabSize + ", " + intermediateSize + ", " + numHiddenLayers + ", " + maxPositionEmbeddings);
        }
    }

    /** Width of one attention head. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Reads {@code config.json} (a CLIPTextConfig, or a CLIPConfig whose {@code text_config} is used); absent keys take the transformers defaults. */
    public static ClipTextConfig read(Path configJson) throws IOException {
        JsonNode root = JSON.readTree(Files.readString(configJson));
        if (root.has("text_config")) {
            root = root.get("text_config");
        }
        return new ClipTextConfig(
                root.path("vocab_size").asInt(49408),
                root.path("hidden_size").asInt(512),
                root.path("intermediate_size").asInt(2048),
                root.path("num_hidden_layers").asInt(12),
                root.path("num_attention_heads").asInt(8),
                root.path("max_position_embeddings").asInt(77),
                root.path("hidden_act").asText("quick_gelu"),
                (float) root.path("layer_norm_eps").asDouble(1e-5),
                root.path("bos_token_id").asInt(49406),
                root.path("eos_token_id").asInt(49407),
                root.path("pad_token_id").asInt(1));
    }
}
