package io.s2edit.s2edit.stages;

/**
 * Layout of {@link StageFiles#LATENTS}: tensor {@code x_T} [1, C, h, w], tensor
 * {@code null_embeddings} [N, 77, D] (step i's unconditional embedding is row i), and metadata
 * with the steps, guidance and prompt they were optimised for and the inner iterations per step
 * allowed (informational: an edit checks only steps and guidance).
 */
final class LatentsFile {

    static final String X_T = "x_T";
    static final String NULL_EMBEDDINGS = "null_embeddings";
    static final String STEPS = "steps";
    static final String GUIDANCE = "guidance";
    static final String PROMPT = "prompt";
    static final String INNER_STEPS = "inner_steps";

    private LatentsFile() {
    }
}
