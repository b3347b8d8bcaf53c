package io.s2edit.s2edit.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.Progress;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.testing.Reference;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.attention.AttentionEdit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the pipeline composes with other attention edits (S2Edit's spatial control): two steps on
 * the tiny checkpoint with an extra edit that watches what it is given.
 */
class PromptToPromptPipelineTest {

    private static final String SOURCE = "a photo of a cat on a red sofa";
    private static final String TARGET = "a photo of a dog on a red sofa";

    private static Reference tiny;
    private static NDManager manager;
    private static StableDiffusion model;

    @BeforeAll
    static void load() throws Exception {
        tiny = Reference.open("tiny");
        manager = NDManager.newBaseManager();
        model = StableDiffusion.load(tiny.checkpoint(), manager);
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
        manager.close();
        tiny.close();
    }

    /** An extra edit that records its steps and checks it sees the whole batch, unedited. */
    private static final class Watcher implements AttentionEdit, StepAware {
        final List<Integer> steps = new ArrayList<>();
        final EditBatch batch = new EditBatch(2);
        int calls;
        double stepZeroTargetVsSource;

        @Override
        public void beginStep(int step) {
            steps.add(step);
        }

        @Override
        public NDArray edit(NDArray probabilities, AttentionContext context) {
            calls++;
            NDArray maps = batch.split(probabilities, context); // [4, h, T, S], or throws
            if (context.crossAttention() && steps.get(steps.size() - 1) == 0) {
                NDArray source = maps.get(batch.conditionalRow(0));
                NDArray target = maps.get(batch.conditionalRow(1));
                stepZeroTargetVsSource = Math.max(stepZeroTargetVsSource,
                        target.sub(source).abs().max().getFloat());
            }
            return probabilities;
        }
    }

    @Test
    void extraEditsRunFirstOnEveryLayerWithTheWholeBatchAndAreToldEachStep() {
        Watcher watcher = new Watcher();
        NDArray noise = tiny.tensor("t2i.noise", manager);
        int[] progress = {0};
        PromptToPromptPipeline.Result result = PromptToPromptPipeline.edit(model, noise, null, SOURCE, List.of(TARGET),
                7.5, EditOptions.defaults().withSteps(2), List.of(watcher), (stage, step, total) -> progress[0] = step,
                manager);
        assertEquals(List.of(0, 1), watcher.steps);
        assertEquals(2 * model.unet().attentionLayers().size(), watcher.calls, "every layer, every step");
        // At step 0 the target's cross maps are replaced by the source's (identity mapper for cat ->
        // dog); the watcher, running first, still sees them differ.
        assertTrue(watcher.stepZeroTargetVsSource > 1e-3, "extra edits see the maps before Prompt-to-Prompt: "
                + watcher.stepZeroTargetVsSource);
        assertEquals(2, progress[0]);
        assertEquals(List.of(SOURCE, TARGET), result.prompts());
        assertEquals(new Shape(2, 4, 32, 32), result.latents().getShape());
        assertEquals(new Shape(2, 3, 64, 64), result.images().getShape());
    }

    @Test
    void inputsAreCheckedBeforeAnyWork() {
        NDArray noise = manager.zeros(new Shape(1, 4, 32, 32));
        List<NDArray> three = List.of(noise, noise, noise);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> PromptToPromptPipeline.edit(model, noise, three, SOURCE, List.of(TARGET), 7.5,
                        EditOptions.defaults().withSteps(2), List.of(), Progress.NONE, manager));
        assertTrue(count.getMessage().contains("one null embedding per step"), count.getMessage());
        IllegalArgumentException latents = assertThrows(IllegalArgumentException.class,
                () -> PromptToPromptPipeline.edit(model, manager.zeros(new Shape(2, 4, 32, 32)), null, SOURCE,
                        List.of(TARGET), 7.5, EditOptions.defaults(), List.of(), Progress.NONE, manager));
        assertTrue(latents.getMessage().contains("x_T must be [1, 4, h, w]"), latents.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PromptToPromptPipeline.edit(model, noise, null, SOURCE,
                List.of(), 7.5, EditOptions.defaults(), List.of(), Progress.NONE, manager));
    }
}
