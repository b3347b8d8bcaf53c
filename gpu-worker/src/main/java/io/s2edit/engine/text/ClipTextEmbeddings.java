package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.s2edit.engine.nn.Embedding;
import io.s2edit.engine.nn.Module;

/**
 * transformers {@code CLIPTextEmbeddings}: token embedding plus learned absolute position
 * embedding (positions 0..T-1). Keys: token_embedding.weight [V, D], position_embedding.weight
 * [P, D]; the {@code position_ids} buffer some checkpoints carry is not a parameter.
 */
final class ClipTextEmbeddings extends Module {

    private final Embedding tokenEmbedding;
    private final Embedding positionEmbedding;

    ClipTextEmbeddings(ClipTextConfig config) {
        this.tokenEmbedding = child("token_embedding", new Embedding(config.vocabSize(), config.hiddenSize()));
        this.positionEmbedding = child("position_embedding", new Embedding(config.maxPositionEmbeddings(), config.hiddenSize()));
    }

    Embedding tokenEmbedding() {
        return tokenEmbedding;
    }

    /** ids [B, T] int64 -> [B, T, D]. */
    NDArray forward(NDArray ids) {
        long t = ids.getShape().get(1);
        NDArray positions = ids.getManager().arange(0, (int) t, 1, DataType.INT64); // [T]
        return tokenEmbedding.forward(ids).add(positionEmbedding.forward(positions)); // [B, T, D] + [T, D]
    }
}
