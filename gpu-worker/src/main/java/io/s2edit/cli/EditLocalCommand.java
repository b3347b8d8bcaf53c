package io.s2edit.cli;

import ai.djl.ndarray.NDManager;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import io.s2edit.s2edit.prompt.Placeholder;
import io.s2edit.s2edit.stages.DefaultS2EditStages;
import io.s2edit.s2edit.stages.EditInput;
import io.s2edit.s2edit.stages.FineTuneInput;
import io.s2edit.s2edit.stages.InvertInput;
import io.s2edit.s2edit.stages.S2EditStages;
import io.s2edit.s2edit.stages.StageSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./s2edit edit-local} (one image, §3.1-3.2) and {@code ./s2edit compose-local} (source plus
 * reference image, §3.3): the whole S2Edit chain in this process, fine-tune -> invert -> edit, with
 * a progress bar per stage; outputs land in {@code --out} as the artifact layout names them
 * ({@code finetune/}, {@code invert/}, {@code edits/}). The fine-tuning prompts are checked before
 * the model loads, so a prompt without its placeholder fails at once, naming the option.
 *
 * <pre>
 * ./s2edit edit-local --model DIR --image IMG --source "a photo of a [I] lady" --object lady
 *     --target "a photo of a [I] lady with bangs" [--target ...] [--mask PNG] [--finetune-steps 200]
 *     [--mask-steps 50] [--mask-threshold 0.3] [--steps 50] [--inner-steps 10] [--guidance 5.0] [--seed S]
 *     [--lr 2e-6] [--lambda 0.1] [--cross-replace 0.8] [--self-replace 0.4] [--blend WORD ...]
 *     [--blend-threshold 0.3] [--no-finetune] [--no-semantic] [--no-spatial] --out DIR
 * ./s2edit compose-local ... --reference IMG --reference-prompt "a model with [A] makeup"
 *     --reference-object makeup [--reference-mask PNG] --target "a [I] lady with [A] makeup" --out DIR
 * </pre>
 * {@code --mask-steps} is the number of DDIM-inversion steps whose cross-attention makes M_obj
 * (only with spatial control and no {@code --mask}); {@code --inner-steps} the most Null-text
 * iterations per inversion step (0: plain DDIM inversion).
 */
final class EditLocalCommand implements Main.Command {

    private final boolean compose;
    private final PrintStream out;

    EditLocalCommand(boolean compose) {
        this(compose, System.err);
    }

    /** Progress and the summary of written files go to {@code out}. */
    EditLocalCommand(boolean compose, PrintStream out) {
        this.compose = compose;
        this.out = out;
    }

    @Override
    public String summary() {
        return compose ? "compositional editing (§3.3): [I] from --image, [A] from --reference, one mixed prompt"
                : "S2Edit on one image: fine-tune [I], invert, edit into each --target";
    }

    @Override
    public int run(String[] argv) throws Exception {
        String name = compose ? "compose-local" : "edit-local";
        Set<String> options = new java.util.HashSet<>(Set.of("model", "image", "source", "object", "target", "mask",
                "finetune-steps", "mask-steps", "steps", "inner-steps", "guidance", "seed", "lr", "lambda", "mask-threshold",
                "cross-replace", "self-replace", "blend", "blend-threshold", "out"));
        if (compose) {
            options.addAll(Set.of("reference", "reference-prompt", "reference-object", "reference-mask"));
        }
        Args args = Args.parse(name, argv, options, Set.of("no-finetune", "no-semantic", "no-spatial"));
        Path outDir = args.path("out");
        int steps = args.integer("steps", 50, 1, 100);
        double guidance = args.decimal("guidance", 5.0, 1, 20);
        String source = args.required("source");
        List<String> targets = args.all("target");
        if (targets.isEmpty()) {
            throw new UsageException(name + ": at least one --target is required");
        }
        FineTuneInput.Reference reference = compose ? new FineTuneInput.Reference(args.path("reference"),
                args.required("reference-prompt"), args.required("reference-object"),
                args.string("reference-mask", null) == null ? null : args.path("reference-mask")) : null;
        FineTuneInput fineTune = new FineTuneInput(args.path("image"), source, args.required("object"),
                args.string("mask", null) == null ? null : args.path("mask"), reference,
                args.integer("finetune-steps", 200, 0, 100_000), args.decimal("lr", 2e-6, 1e-12, 1e-2),
                args.integer("seed", 0, 0, Integer.MAX_VALUE), !args.flag("no-finetune"), !args.flag("no-semantic"),
                !args.flag("no-spatial"), args.decimal("lambda", 0.1, 0, 100), args.decimal("mask-threshold", 0.3, 0.01, 0.99),
                args.integer("mask-steps", FineTuneInput.DEFAULT_MASK_STEPS, 1, FineTuneInput.MAX_MASK_STEPS));
        checkPrompt(name, "source", fineTune.sourcePrompt(), fineTune.objectWord(), Placeholder.IDENTITY);
        if (reference != null) {
            checkPrompt(name, "reference-prompt", reference.prompt(), reference.objectWord(), Placeholder.ATTRIBUTE);
        }
        InvertInput invert = new InvertInput(args.path("image"), source, steps, guidance,
                args.integer("inner-steps", InvertInput.DEFAULT_INNER_STEPS, 0, InvertInput.MAX_INNER_STEPS));
        List<String> blend = new ArrayList<>(args.all("blend"));
        EditInput edit = new EditInput(source, targets, args.decimal("cross-replace", 0.8, 0, 1),
                args.decimal("self-replace", 0.4, 0, 1), Map.of(), blend, args.decimal("blend-threshold", 0.3, 0.01, 0.99),
                steps, guidance);

        S2EditStages stages = new DefaultS2EditStages();
        ProgressBar bar = new ProgressBar(out);
        long started = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(args.path("model"), manager)) {
            Path fineTuneDir = outDir.resolve("finetune");
            Path invertDir = outDir.resolve("invert");
            Path editsDir = outDir.resolve("edits");
            StageSummary s1 = stages.fineTune(model, fineTune, fineTuneDir, bar);
            StageSummary s2 = stages.invert(model, invert, fineTuneDir, invertDir, bar);
            StageSummary s3 = stages.edit(model, edit, fineTuneDir, invertDir, editsDir, bar);
            out.printf("%nwrote in %.1fs:%n", (System.nanoTime() - started) / 1e9);
            report(fineTuneDir, s1);
            report(invertDir, s2);
            report(editsDir, s3);
            for (int n = 0; n < targets.size(); n++) {
                out.printf("  edits/%d.png  <- \"%s\"%n", n, targets.get(n));
            }
        }
        return 0;
    }

    private void report(Path dir, StageSummary summary) {
        for (String file : summary.files()) {
            out.println("  " + dir.resolve(file));
        }
        summary.metrics().forEach((k, v) -> out.printf("    %s = %.4g%n", k, v));
    }

    /** Fails before the model loads when a fine-tuning prompt breaks EnhancedPrompt's rules, naming the option. */
    private static void checkPrompt(String command, String option, String prompt, String objectWord, Placeholder placeholder) {
        try {
            EnhancedPrompt.parse(prompt, objectWord, placeholder);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": --" + option + ": " + e.getMessage());
        }
    }
}
