package io.s2edit.s2edit.stages;

import io.s2edit.s2edit.artifact.Artifacts;

/**
 * File names the stages read and write (the last path segment of each artifact key). The
 * fine-tuning artifacts are named by {@link Artifacts}, which owns their layout.
 */
public final class StageFiles {

    public static final String TOKEN_EMBEDDINGS = Artifacts.TOKENS;
    public static final String WEIGHT_DELTA = Artifacts.DELTA;
    public static final String OBJECT_MASK = Artifacts.OBJECT_MASK;
    public static final String LATENTS = "latents.safetensors";

    private StageFiles() {
    }

    /** The n-th edited image. */
    public static String editImage(int n) {
        return n + ".png";
    }
}
