package io.s2edit.worker;

import io.s2edit.engine.Progress;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.stages.EditInput;
import io.s2edit.s2edit.stages.FineTuneInput;
import io.s2edit.s2edit.stages.InvertInput;
import io.s2edit.s2edit.stages.S2EditStages;
import io.s2edit.s2edit.stages.StageFiles;
import io.s2edit.s2edit.stages.StageSummary;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fast stand-in stages for the messaging tests (the real stages run in the cluster's end-to-end
 * test): they write files named like the real ones whose content says which run wrote them, report
 * progress, and record how many ran at once. A prompt containing "toolong" is refused with the
 * tokenizer's kind of message.
 */
@Singleton
public class FakeStages implements S2EditStages {

    static final String TOO_LONG = "prompt is 81 tokens long (with start and end tokens); CLIP's text encoder takes at most 77";

    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger maxActive = new AtomicInteger();
    final AtomicInteger applied = new AtomicInteger();
    volatile long stepMillis = 0;
    /** The inputs the worker mapped from the messages (each image lies in a folder named after its job). */
    final List<FineTuneInput> fineTuneInputs = new CopyOnWriteArrayList<>();
    final List<InvertInput> invertInputs = new CopyOnWriteArrayList<>();

    @Override
    public StageSummary fineTune(StableDiffusion base, FineTuneInput input, Path outDir, Progress progress) throws IOException {
        fineTuneInputs.add(input);
        return run("finetune", input.steps(), input.sourcePrompt(), progress, () -> {
            List<String> files = List.of(StageFiles.TOKEN_EMBEDDINGS, StageFiles.WEIGHT_DELTA, StageFiles.OBJECT_MASK);
            return files;
        }, outDir);
    }

    @Override
    public void applyFineTune(StableDiffusion freshBase, Path fineTuneDir) throws IOException {
        if (!Files.isRegularFile(fineTuneDir.resolve(StageFiles.WEIGHT_DELTA))) {
            throw new IOException("no weight delta in " + fineTuneDir);
        }
        applied.incrementAndGet();
    }

    @Override
    public StageSummary invert(StableDiffusion tuned, InvertInput input, Path fineTuneDir, Path outDir, Progress progress)
            throws IOException {
        requireFiles(fineTuneDir, StageFiles.TOKEN_EMBEDDINGS, StageFiles.OBJECT_MASK);
        invertInputs.add(input);
        return run("inversion", input.steps(), input.sourcePrompt(), progress, () -> List.of(StageFiles.LATENTS), outDir);
    }

    @Override
    public StageSummary edit(StableDiffusion tuned, EditInput input, Path fineTuneDir, Path invertDir, Path outDir,
            Progress progress) throws IOException {
        requireFiles(invertDir, StageFiles.LATENTS);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < input.targets().size(); i++) {
            names.add(StageFiles.editImage(i));
        }
        String prompts = String.join(" ", input.targets());
        return run("edit", input.steps(), prompts, progress, () -> names, outDir);
    }

    private interface Names {
        List<String> get();
    }

    private StageSummary run(String stage, int steps, String prompt, Progress progress, Names names, Path outDir)
            throws IOException {
        int now = active.incrementAndGet();
        maxActive.accumulateAndGet(now, Math::max);
        try {
            if (prompt.contains("toolong")) {
                throw new IllegalArgumentException(TOO_LONG);
            }
            int run = runs.incrementAndGet();
            for (int step = 1; step <= steps; step++) {
                if (stepMillis > 0) {
                    Thread.sleep(stepMillis);
                }
                progress.update(stage, step, steps);
            }
            for (String name : names.get()) {
                Files.writeString(outDir.resolve(name), stage + " run " + run);
            }
            return new StageSummary(names.get(), Map.of(stage + "_loss", 0.5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            active.decrementAndGet();
        }
    }

    private static void requireFiles(Path dir, String... names) throws IOException {
        for (String n : names) {
            if (!Files.isRegularFile(dir.resolve(n))) {
                throw new IOException("the stage needs " + n + " in " + dir);
            }
        }
    }
}
