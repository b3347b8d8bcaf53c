package io.s2edit.s2edit.edit;

/**
 * An attention edit whose behaviour depends on the denoising step. {@link PromptToPromptPipeline}
 * calls {@link #beginStep} on every edit of its chain that implements this, before the UNet runs
 * step {@code step}; edits never count layers to find the step.
 */
@FunctionalInterface
public interface StepAware {

    /**
     * @param step the step index about to run, 0 = the first (noisiest) of N
     */
    void beginStep(int step);
}
