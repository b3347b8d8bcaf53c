package io.s2edit.s2edit.stages;

/** File names the stages read and write (the last path segment of each artifact key). */
public final class StageFiles {

    public static final String TOKEN_EMBEDDINGS = "token-embeddings.safetensors";
    public static final String WEIGHT_DELTA = "weight-delta.safetensors";
    public static final String OBJECT_MASK = "object-mask.png";
    public static final String LATENTS = "latents.safetensors";

    private StageFiles() {
    }

    /** The n-th edited image. */
    public static String editImage(int n) {
        return n + ".png";
    }
}
