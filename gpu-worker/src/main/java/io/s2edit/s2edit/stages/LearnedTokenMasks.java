package io.s2edit.s2edit.stages;

import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.artifact.Artifacts;
import io.s2edit.s2edit.artifact.TokenEmbeddings;
import io.s2edit.s2edit.attention.AttentionEdit;
import io.s2edit.s2edit.attention.SpatialControl;
import io.s2edit.s2edit.mask.ObjectMask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The object masks a fine-tune saved, one per learned token ([I], and [A] when composing), read
 * once and turned into spatial control for any batch of prompts. Empty when spatial control was
 * off: inference then runs unmasked too (the ablation).
 */
final class LearnedTokenMasks {

    private record Masked(int tokenId, ObjectMask mask) {
    }

    private final List<Masked> masks;

    private LearnedTokenMasks(List<Masked> masks) {
        this.masks = masks;
    }

    static LearnedTokenMasks read(StableDiffusion tuned, Path fineTuneDir) throws IOException {
        List<Masked> masks = new ArrayList<>();
        TokenEmbeddings tokens = TokenEmbeddings.read(fineTuneDir.resolve(Artifacts.TOKENS));
        if (!tokens.spatialControl()) {
            return new LearnedTokenMasks(masks);
        }
        int latent = tuned.latentSize(ImageFit.nativeSize(tuned));
        for (TokenEmbeddings.Token token : tokens.tokens()) {
            Path maskFile = fineTuneDir.resolve(Artifacts.maskFile(token.text()));
            if (Files.isRegularFile(maskFile)) {
                masks.add(new Masked(tuned.tokenizer().idOf(token.text()), ObjectMask.read(maskFile, latent, latent)));
            }
        }
        return new LearnedTokenMasks(masks);
    }

    boolean isEmpty() {
        return masks.isEmpty();
    }

    /** Spatial control for a UNet batch, one prompt per row: each token masks its columns in the rows that hold it. */
    List<AttentionEdit> edits(List<TokenIds> batch) {
        List<AttentionEdit> edits = new ArrayList<>(masks.size());
        for (Masked m : masks) {
            edits.add(SpatialControl.forPrompts(m.mask(), batch, m.tokenId(), false));
        }
        return edits;
    }
}
