package io.s2edit.s2edit.artifact;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.io.SafeTensorsWriter;
import io.s2edit.engine.pipeline.StableDiffusion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The learned rows of S2Edit's special tokens ([I], and [A] in compositional editing) with their
 * texts and ids, as a safetensors file: tensor {@code token_embeddings} [n, D] (always F32: the
 * rows are few), metadata {@code tokens} (JSON list of texts), {@code token_ids} (JSON list) and
 * {@code spatial_control} ("true" or "false": whether fine-tuning masked the tokens' cross-attention
 * with M_obj, so inference must too) beside the {@link ArtifactMetadata} block (format
 * {@code s2edit.token-embeddings/1}). Files written before {@code spatial_control} existed take it
 * from the options' {@code "spatial"} (true when absent, FineTuneOptions' default).
 *
 * <p>{@link #applyTo} adds the tokens to a freshly loaded base model: the tokenizer learns the
 * texts, the embedding table grows by the rows, and the ids must come out as recorded. With full
 * fine-tuning the rest of the text encoder changed too: apply the {@link WeightDelta} first.
 */
public final class TokenEmbeddings {

    /** The artifact kind in the format string. */
    public static final String KIND = "token-embeddings";

    /** The metadata key of {@link #spatialControl()}. */
    public static final String SPATIAL_CONTROL = "spatial_control";

    /** One token: its text, id and learned row [D]. */
    public record Token(String text, int id, float[] row) {

        public Token {
            Objects.requireNonNull(text, "text");
            row = row.clone();
        }

        @Override
        public float[] row() {
            return row.clone();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENSOR = "token_embeddings";

    private final List<Token> tokens;
    private final ArtifactMetadata metadata;
    private final boolean spatialControl;

    private TokenEmbeddings(List<Token> tokens, ArtifactMetadata metadata, boolean spatialControl) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("no tokens to store");
        }
        this.tokens = List.copyOf(tokens);
        this.metadata = metadata;
        this.spatialControl = spatialControl;
    }

    /**
     * Reads the current rows of {@code texts} (tokens the model's tokenizer knows) from the model.
     *
     * @param spatialControl whether fine-tuning ran with spatial control (FineTuneOptions' spatial)
     */
    public static TokenEmbeddings capture(StableDiffusion model, List<String> texts, ArtifactMetadata metadata,
            boolean spatialControl) {
        List<Token> out = new ArrayList<>();
        NDArray table = model.textEncoder().tokenEmbeddingTable().get(); // [V, D]
        for (String text : texts) {
            int id = model.tokenizer().idOf(text);
            try (NDScope scope = new NDScope()) {
                out.add(new Token(text, id, table.get(id).toFloatArray()));
            }
        }
        return new TokenEmbeddings(out, metadata.withKind(KIND), spatialControl);
    }

    public List<Token> tokens() {
        return tokens;
    }

    public ArtifactMetadata metadata() {
        return metadata;
    }

    /**
     * Whether the tokens were fine-tuned with spatial control (Eq. 3). When false (the ablation),
     * inference runs unmasked too; when true, each token whose mask was saved masks its columns.
     */
    public boolean spatialControl() {
        return spatialControl;
    }

    /** Writes the file (atomically). */
    public void write(Path file) throws IOException {
        int width = tokens.get(0).row().length;
        float[] rows = new float[tokens.size() * width];
        for (int i = 0; i < tokens.size(); i++) {
            System.arraycopy(tokens.get(i).row(), 0, rows, i * width, width);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            SafeTensorsWriter writer = new SafeTensorsWriter().put(TENSOR, manager.create(rows, new Shape(tokens.size(), width)));
            metadata.toMap().forEach(writer::metadata);
            writer.metadata("tokens", json(tokens.stream().map(Token::text).toList()));
            writer.metadata("token_ids", json(tokens.stream().map(Token::id).toList()));
            writer.metadata(SPATIAL_CONTROL, Boolean.toString(spatialControl));
            writer.write(file);
        }
    }

    /** Reads a file written by {@link #write}. */
    public static TokenEmbeddings read(Path file) throws IOException {
        try (SafeTensors tensors = SafeTensors.open(file); NDManager manager = NDManager.newBaseManager()) {
            ArtifactMetadata metadata = ArtifactMetadata.fromMap(tensors.metadata(), KIND, file);
            List<String> texts = JSON.readValue(tensors.metadata().get("tokens"), new TypeReference<List<String>>() { });
            List<Integer> ids = JSON.readValue(tensors.metadata().get("token_ids"), new TypeReference<List<Integer>>() { });
            if (!tensors.contains(TENSOR) || texts.size() != ids.size()) {
                throw new IllegalArgumentException(file + " has no '" + TENSOR + "' tensor or its token lists disagree");
            }
            NDArray rows = tensors.load(TENSOR, manager); // [n, D]
            if (rows.getShape().get(0) != texts.size()) {
                throw new IllegalArgumentException(file + ": " + rows.getShape().get(0) + " rows for " + texts.size() + " tokens");
            }
            List<Token> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                out.add(new Token(texts.get(i), ids.get(i), rows.get(i).toFloatArray()));
            }
            boolean spatial = spatialControl(tensors.metadata().get(SPATIAL_CONTROL), metadata, file);
            return new TokenEmbeddings(out, metadata, spatial);
        }
    }

    /** The recorded flag, or for files written before it existed, the options' "spatial". */
    private static boolean spatialControl(String recorded, ArtifactMetadata metadata, Path file) {
        if (recorded == null) {
            try {
                return metadata.booleanOption("spatial", true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        }
        return switch (recorded) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(file + ": metadata '" + SPATIAL_CONTROL
                    + "' must be \"true\" or \"false\", got \"" + recorded + "\"");
        };
    }

    /**
     * Adds the tokens to {@code model} (a freshly loaded base model: its tokenizer must not know
     * them, and they must receive the recorded ids).
     */
    public void applyTo(StableDiffusion model) {
        ClipTokenizer tokenizer = model.tokenizer();
        long width = model.textEncoder().config().hiddenSize();
        float[] rows = new float[tokens.size() * (int) width];
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            if (token.row().length != width) {
                throw new IllegalArgumentException("token " + token.text() + " has a row of " + token.row().length
                        + " values, but this text encoder is " + width + " wide: a different base model");
            }
            int before = tokenizer.vocabSize();
            int id = tokenizer.addTokens(token.text())[0];
            if (id != token.id() || id < before) {
                throw new IllegalStateException("token " + token.text() + " was saved with id " + token.id() + " but this model gives it "
                        + id + "; apply token embeddings to a freshly loaded base model, in the saved order");
            }
            System.arraycopy(token.row(), 0, rows, i * (int) width, (int) width);
        }
        try (NDScope scope = new NDScope()) {
            long[] ids = model.textEncoder().addTokenEmbeddings(model.manager().create(rows, new Shape(tokens.size(), width)));
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] != tokens.get(i).id()) {
                    throw new IllegalStateException("the embedding table put " + tokens.get(i).text() + " at row " + ids[i]
                            + ", the tokenizer at id " + tokens.get(i).id() + ": this checkpoint's table and vocabulary disagree");
                }
            }
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
