package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * transformers {@code CLIPTextModel}: SD v1.x's text encoder. Letters: B batch, T sequence length
 * (77), D width (768 in SD v1.x), V vocabulary rows.
 *
 * <p><b>Pooling.</b> {@link #forward} pools at the EOS positions the caller passes, never at
 * argmax(ids): added tokens such as {@code [I]} get ids above EOS (49408, ...), and argmax pooling
 * (transformers' rule for configs with eos_token_id 2, which SD v1.4's has) would pick them.
 *
 * <p><b>Keys.</b> Checkpoints keyed {@code text_model.embeddings....} (the Hub's SD v1.x files) and
 * those without the prefix (transformers 5's {@code save_pretrained}) both load; the
 * {@code position_ids} buffer is ignored.
 *
 * <p>The model owns its weights in a sub-manager of the one given to {@link #load}; close it to
 * free them. Forward temporaries go to the caller's {@code NDScope}.
 */
public final class ClipTextModel extends Module implements AutoCloseable {

    /** The weights file transformers writes into {@code text_encoder/}. */
    public static final String WEIGHTS = "model.safetensors";

    private static final String PREFIX = "text_model.";
    private static final Predicate<String> BUFFERS = key -> key.endsWith("embeddings.position_ids");

    private final ClipTextConfig config;
    private final ClipTextTransformer textModel;
    private NDManager manager;

    /** Builds the module tree from {@code config}; parameters stay unset until {@link #load}. */
    public ClipTextModel(ClipTextConfig config) {
        this.config = config;
        this.textModel = child("text_model", new ClipTextTransformer(config));
    }

    /** Loads {@code textEncoderDir/config.json} and {@code textEncoderDir/model.safetensors} (F32/F16/BF16, read as fp32). */
    public static ClipTextModel load(Path textEncoderDir, NDManager parent) throws IOException {
        Path weights = textEncoderDir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IOException("no text encoder weights at " + weights
                    + " (expected a transformers text_encoder/ folder with config.json and " + WEIGHTS + ")");
        }
        ClipTextModel model = new ClipTextModel(ClipTextConfig.read(textEncoderDir.resolve("config.json")));
        model.manager = Checkpoint.loadOwned(weights, parent,
                tensors -> tensors.names().stream().anyMatch(name -> name.startsWith(PREFIX)) ? model : model.textModel, BUFFERS);
        return model;
    }

    public ClipTextConfig config() {
        return config;
    }

    /** Rows of the token embedding table now (vocab_size plus added tokens). */
    public long vocabularySize() {
        return textModel.embeddings().tokenEmbedding().rows();
    }

    /** The token embedding table [V, D], the parameter to train for new tokens. */
    public Parameter tokenEmbeddingTable() {
        return textModel.embeddings().tokenEmbedding().weight();
    }

    /**
     * Appends {@code rows} [n, D] to the token embedding table and returns their ids (V, ..., V+n-1).
     * The table is replaced by a new leaf array owned by the model (the old one is closed), which
     * requires gradients if the old one did; {@code rows} is copied and stays the caller's.
     */
    public long[] addTokenEmbeddings(NDArray rows) {
        Parameter table = tokenEmbeddingTable();
        NDArray old = table.get();
        Shape s = rows.getShape();
        if (s.dimension() != 2 || s.get(1) != config.hiddenSize()) {
            throw new IllegalArgumentException("new token embeddings must be [n, " + config.hiddenSize() + "], got " + s);
        }
        long first = old.getShape().get(0);
        NDArray grown;
        try (NDArray joined = old.concat(rows, 0)) { // [V + n, D], graph cut below
            grown = joined.duplicate();
        }
        NDScope.unregister(grown); // the table must outlive any scope the caller is in
        grown.setName(old.getName());
        if (old.hasGradient()) {
            grown.setRequiresGradient(true);
        }
        table.set(grown);
        old.close();
        long[] ids = new long[(int) s.get(0)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = first + i;
        }
        return ids;
    }

    /** ids [B, T] int64, eosIndex [B] (each sequence's EOS position) -> last hidden state [B, T, D] and pooled [B, D]. */
    public ClipTextOutput forward(NDArray ids, int[] eosIndex) {
        return forward(ids, eosIndex, false);
    }

    /** Encodes tokenized prompts (one batch, ids made in {@code manager}), pooling at each {@link TokenIds#eosIndex()}. */
    public ClipTextOutput forward(List<TokenIds> prompts, NDManager manager) {
        int t = prompts.get(0).size();
        long[] ids = new long[prompts.size() * t];
        int[] eos = new int[prompts.size()];
        for (int b = 0; b < prompts.size(); b++) {
            TokenIds prompt = prompts.get(b);
            if (prompt.size() != t) {
                throw new IllegalArgumentException("prompt " + b + " has " + prompt.size() + " ids, prompt 0 has " + t);
            }
            for (int i = 0; i < t; i++) {
                ids[b * t + i] = prompt.idAt(i);
            }
            eos[b] = prompt.eosIndex();
        }
        return forward(manager.create(ids, new Shape(prompts.size(), t)), eos); // ids [B, T]
    }

    /** As {@link #forward(NDArray, int[])}, also returning every layer's hidden state when asked. */
    public ClipTextOutput forward(NDArray ids, int[] eosIndex, boolean outputHiddenStates) {
        return textModel.forward(ids, eosIndex, outputHiddenStates);
    }

    /** Frees the weights (a model built but never loaded owns nothing). */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
