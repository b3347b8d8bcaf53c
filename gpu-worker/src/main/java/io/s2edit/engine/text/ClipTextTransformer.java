package io.s2edit.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.LayerNorm;
import io.s2edit.engine.nn.Module;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers {@code CLIPTextTransformer} (the {@code text_model} of a checkpoint): embeddings,
 * causal encoder, final LayerNorm, pooling at the EOS positions. Letters: B batch, T sequence
 * length, D width. Keys: embeddings, encoder, final_layer_norm.
 */
final class ClipTextTransformer extends Module {

    private final ClipTextEmbeddings embeddings;
    private final ClipEncoder encoder;
    private final LayerNorm finalLayerNorm;
    private final int maxPositions;

    ClipTextTransformer(ClipTextConfig config) {
        this.embeddings = child("embeddings", new ClipTextEmbeddings(config));
        this.encoder = child("encoder", new ClipEncoder(config));
        this.finalLayerNorm = child("final_layer_norm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.maxPositions = config.maxPositionEmbeddings();
    }

    ClipTextEmbeddings embeddings() {
        return embeddings;
    }

    /** ids [B, T] int64, eosIndex [B] -> last hidden state, pooled and (optionally) all hidden states. */
    ClipTextOutput forward(NDArray ids, int[] eosIndex, boolean outputHiddenStates) {
        Shape s = ids.getShape();
        if (s.dimension() != 2 || s.get(1) > maxPositions) {
            throw new IllegalArgumentException("input ids must be [B, T] with T <= " + maxPositions + ", got " + s);
        }
        int batch = (int) s.get(0);
        int t = (int) s.get(1);
        if (eosIndex.length != batch) {
            throw new IllegalArgumentException("one EOS index per sequence: batch " + batch + ", got " + eosIndex.length);
        }
        for (int index : eosIndex) {
            if (index < 0 || index >= t) {
                throw new IllegalArgumentException("EOS index " + index + " is outside the sequence [0, " + t + ")");
            }
        }
        List<NDArray> hidden = outputHiddenStates ? new ArrayList<>() : null;
        NDArray x = embeddings.forward(ids); // [B, T, D]
        if (hidden != null) {
            hidden.add(x);
        }
        x = encoder.forward(x, causalMask(ids.getManager(), t), hidden);
        NDArray last = finalLayerNorm.forward(x); // [B, T, D]
        NDList rows = new NDList(batch);
        for (int b = 0; b < batch; b++) {
            rows.add(last.get(b, eosIndex[b])); // [D]
        }
        NDArray pooled = NDArrays.stack(rows); // [B, D]
        return new ClipTextOutput(last, pooled, hidden == null ? List.of() : hidden);
    }

    /** Additive causal mask [T, T]: 0 on and below the diagonal, -inf above (query i sees keys j <= i). */
    static NDArray causalMask(NDManager manager, int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(mask, new Shape(t, t));
    }
}
