package io.s2edit.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.s2edit.cli.BenchSamples.Mark;
import io.s2edit.cli.BenchSamples.Span;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.edit.EditOptions;
import io.s2edit.s2edit.edit.PromptToPromptPipeline;
import io.s2edit.s2edit.finetune.FineTuneOptions;
import io.s2edit.s2edit.finetune.FineTuneSession;
import io.s2edit.s2edit.finetune.IdentityFineTuner;
import io.s2edit.s2edit.finetune.StepLog;
import io.s2edit.s2edit.finetune.TrainingPair;
import io.s2edit.s2edit.inversion.InversionResult;
import io.s2edit.s2edit.inversion.NullTextInversion;
import io.s2edit.s2edit.inversion.NullTextOptions;
import io.s2edit.s2edit.mask.ObjectMaskExtractor;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import io.s2edit.s2edit.prompt.Placeholder;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * {@code ./s2edit bench-stages --model DIR --height H --width W [--repeat N] [--warmup N]
 * [--threads N] [--edit-steps N] [--inversion-steps N] [--inner-steps K] [--mask-steps N]
 * [--ops LIST]}: times S2Edit's three stages on a checkpoint and prints one JSON line per
 * figure in {@code bench-engine}'s format (median, min, max and every sample in ms, median
 * process CPU time). {@code tools/bench/stages_bench.py} times the same operations with diffusers;
 * {@code tools/bench/stages-vs-reference} runs both and prints the table.
 *
 * <ol>
 *   <li>{@code edit_N}: one Prompt-to-Prompt edit (source + one word-swap target, N DDIM steps,
 *       guidance 5, per-step null embeddings = the embedding of ""), prompt encoding and VAE decode
 *       included; {@code edit_step}: one of its denoising steps (the UNet on [uncond x 2, cond x 2]
 *       under the edit's attention control), sampled between progress updates from step 2 on;</li>
 *   <li>{@code ddim_inversion_step}: one step of DDIM inversion (N steps, sample = total / N);</li>
 *   <li>{@code null_text_step}: one denoising step of the null-text optimisation: eps_c, the inner
 *       iterations (at most K; the line says how many ran), the guided step. Sample = the phase
 *       between the last DDIM-inversion and the last null-text progress update of
 *       {@link NullTextInversion#invert}, / N;</li>
 *   <li>{@code null_text_iteration}: one inner iteration (UNet forward with the null embedding
 *       differentiable, CFG, DDIM step, MSE, backward, Adam), as the difference between a run with K
 *       inner steps and one with 1, over the difference in iterations run (early stopping included);</li>
 *   <li>{@code inversion_step}: {@code ddim_inversion_step + null_text_step} of the same repeat;</li>
 *   <li>{@code finetune_step}: one identity fine-tuning step ({@link FineTuneSession#step}: posterior
 *       sample, noising, text encoder on [P~, P] and UNet forward, noise MSE + λ |cos(e_P, e_[I])|,
 *       backward, clip to 1.0, AdamW over UNet and text encoder) without spatial control;
 *       {@code finetune_step_spatial}: the same under S2Edit's spatial control (a second token [A];
 *       its mask from a {@code --mask-steps} DDIM inversion, untimed). Run last: it changes the weights.</li>
 * </ol>
 *
 * <p>The source image is {@link #testImage}, which the Python side draws alike; x_T for the edit is
 * {@code manual_seed(1); randn(1, C, h, w)}. Every line carries a {@code check} value (image mean,
 * sum of z_T, last null-text loss, loss of the last step) where both sides compute the same numbers;
 * the fine-tuning losses come from different generators and only show the step ran.
 */
final class BenchStagesCommand implements Main.Command {

    private static final String SOURCE = "a photo of a cat on a red sofa";
    private static final String TARGET = "a photo of a dog on a red sofa";
    private static final String IDENTITY_PROMPT = "a photo of a [I] cat on a red sofa";
    private static final String ATTRIBUTE_PROMPT = "a photo of a [A] cat on a red sofa";
    private static final String OBJECT_WORD = "cat";
    private static final double GUIDANCE = 5.0;
    private static final int NOISE_SEED = 1;
    private static final List<String> OPS = List.of("edit", "inversion", "finetune", "finetune_spatial");

    private final ObjectMapper json = new ObjectMapper();
    private String label;
    private int height;
    private int width;
    private int repeat;
    private int warmup;

    @Override
    public String summary() {
        return "time a fine-tune step, a Null-text inversion step and an edit; one JSON line per figure";
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = Args.parse("bench-stages", argv, Set.of("model", "height", "width", "repeat", "warmup", "threads",
                "edit-steps", "inversion-steps", "inner-steps", "mask-steps", "ops"), Set.of());
        Path modelDir = args.path("model");
        height = args.integer("height", 0, 8, 4096);
        width = args.integer("width", 0, 8, 4096);
        repeat = args.integer("repeat", 3, 1, 1000);
        warmup = args.integer("warmup", 1, 0, 1000);
        int threads = args.integer("threads", 0, 1, 1024);
        int editSteps = args.integer("edit-steps", 4, 2, 1000);
        int inversionSteps = args.integer("inversion-steps", 2, 1, NullTextOptions.MAX_STEPS);
        int innerSteps = args.integer("inner-steps", 3, 2, 1000);
        int maskSteps = args.integer("mask-steps", 2, 1, 1000);
        Set<String> ops = Set.of(args.string("ops", String.join(",", OPS)).split(","));
        if (!OPS.containsAll(ops)) {
            throw new UsageException("bench-stages: --ops takes a comma-separated subset of " + OPS + ", got " + ops);
        }
        if (height == 0 || width == 0) {
            throw new UsageException("bench-stages: --height and --width are required (image pixels, e.g. 256)");
        }
        BenchSamples.startEngine(threads);
        try (NDManager manager = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(modelDir, manager)) {
            label = modelDir.getFileName().toString();
            BufferedImage image = testImage(height, width);
            if (ops.contains("edit")) {
                edit(model, editSteps, manager);
            }
            if (ops.contains("inversion")) {
                inversion(model, image, NullTextOptions.DEFAULT.withSteps(inversionSteps).withGuidance(GUIDANCE)
                        .withInnerSteps(innerSteps), manager);
            }
            FineTuneOptions plain = FineTuneOptions.builder().spatial(false).steps(warmup + repeat).build();
            if (ops.contains("finetune")) {
                fineTune(model, "finetune_step", TrainingPair.of(image, EnhancedPrompt.identity(IDENTITY_PROMPT, OBJECT_WORD)),
                        plain);
            }
            if (ops.contains("finetune_spatial")) {
                EnhancedPrompt prompt = EnhancedPrompt.parse(ATTRIBUTE_PROMPT, OBJECT_WORD, Placeholder.ATTRIBUTE);
                fineTune(model, "finetune_step_spatial", TrainingPair.of(image, prompt), plain.toBuilder().spatial(true)
                        .mask(ObjectMaskExtractor.Options.defaults().withSteps(maskSteps)).build());
            }
        }
        return 0;
    }

    /**
     * A smooth 8-bit RGB test image: channel c (0 = red) at pixel (x, y) is
     * {@code floor(255 (0.5 + 0.4 sin(2 pi ((c + 1) x / W + (3 - c) y / (2 H)))) + 0.5)}.
     */
    static BufferedImage testImage(int height, int width) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    double phase = 2 * Math.PI * ((c + 1) * (double) x / width + (3 - c) * (double) y / (2.0 * height));
                    rgb = (rgb << 8) | (int) Math.floor(255 * (0.5 + 0.4 * Math.sin(phase)) + 0.5);
                }
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    /** edit_N (whole edit) and edit_step (steps 2..N of every repeat). */
    private void edit(StableDiffusion model, int steps, NDManager manager) throws Exception {
        EditOptions options = EditOptions.defaults().withSteps(steps);
        Engine.getInstance().setRandomSeed(NOISE_SEED);
        NDArray xT = manager.randomNormal(new Shape(1, model.unet().config().inChannels(), model.latentSize(height),
                model.latentSize(width))); // [1, C, h, w]
        NDArray empty;
        try (NDScope scope = new NDScope()) {
            empty = Scopes.keep(model.encodePrompt(""), manager); // [1, 77, D]
        }
        List<NDArray> nullEmbeddings = Collections.nCopies(steps, empty);
        BenchSamples total = new BenchSamples();
        BenchSamples perStep = new BenchSamples();
        float check = Float.NaN;
        for (int i = -warmup; i < repeat; i++) {
            List<Mark> marks = new ArrayList<>();
            Mark start = Mark.now();
            try (NDManager out = manager.newSubManager()) {
                PromptToPromptPipeline.Result result = PromptToPromptPipeline.edit(model, xT, nullEmbeddings, SOURCE,
                        List.of(TARGET), GUIDANCE, options, List.of(), (stage, step, of) -> marks.add(Mark.now()), out);
                check = result.images().mean().getFloat();
            }
            Span span = Mark.now().since(start);
            if (i >= 0) {
                total.add(span);
                for (int k = 1; k < marks.size(); k++) { // step k+1: from the end of step k to the end of step k+1
                    perStep.add(marks.get(k).since(marks.get(k - 1)));
                }
            }
        }
        print(total.writeTo(line("edit_" + steps)).put("steps", steps).put("prompts", 2).put("check", check));
        print(perStep.writeTo(line("edit_step")).put("steps", steps).put("prompts", 2).put("check", check));
    }

    /** The null-text phase of one {@link NullTextInversion#invert}, its iterations and its last loss. */
    private record NullPhase(Span span, int iterations, double lastLoss) {
    }

    /** ddim_inversion_step, null_text_step, null_text_iteration and inversion_step. */
    private void inversion(StableDiffusion model, BufferedImage image, NullTextOptions options, NDManager manager)
            throws Exception {
        NullTextInversion inversion = new NullTextInversion(model);
        int n = options.steps();
        NDArray pixels = Images.toSignedTensor(image, manager); // [1, 3, H, W]
        NDArray conditional;
        NDArray source;
        try (NDScope scope = new NDScope()) {
            conditional = Scopes.keep(model.encodePrompt(SOURCE), manager); // [1, 77, D]
            source = Scopes.keep(model.vae().encodeLatents(pixels), manager); // z_0 [1, C, h, w]
        }
        BenchSamples ddim = new BenchSamples();
        BenchSamples nullStep = new BenchSamples();
        BenchSamples iteration = new BenchSamples();
        BenchSamples step = new BenchSamples();
        float zTSum = Float.NaN;
        NullPhase full = null;
        NullPhase single = null;
        for (int i = -warmup; i < repeat; i++) {
            Mark start = Mark.now();
            try (NDManager out = manager.newSubManager()) {
                zTSum = inversion.ddimInversion(source, conditional, n, out, Progress.NONE).get(n).sum().getFloat();
            }
            Span ddimStep = Mark.now().since(start).div(n);
            full = nullPhase(inversion, pixels, conditional, options, manager);
            single = nullPhase(inversion, pixels, conditional, options.withInnerSteps(1), manager);
            if (i >= 0) {
                ddim.add(ddimStep);
                nullStep.add(full.span().div(n));
                if (full.iterations() > single.iterations()) {
                    iteration.add(full.span().minus(single.span()).div(full.iterations() - single.iterations()));
                }
                step.add(ddimStep.plus(full.span().div(n)));
            }
        }
        print(ddim.writeTo(line("ddim_inversion_step")).put("steps", n).put("check", zTSum));
        print(nullStep.writeTo(line("null_text_step")).put("steps", n).put("inner_steps", options.innerSteps())
                .put("iterations", full.iterations()).put("check", full.lastLoss()));
        if (iteration.size() > 0) {
            print(iteration.writeTo(line("null_text_iteration")).put("steps", n).put("inner_steps", options.innerSteps())
                    .put("iterations", full.iterations()).put("iterations_single", single.iterations())
                    .put("check", full.lastLoss()));
        } else {
            System.err.println("bench-stages: every null-text step stopped after one iteration; no per-iteration figure");
        }
        print(step.writeTo(line("inversion_step")).put("steps", n).put("inner_steps", options.innerSteps())
                .put("iterations", full.iterations()).put("check", full.lastLoss()));
    }

    private NullPhase nullPhase(NullTextInversion inversion, NDArray pixels, NDArray conditional, NullTextOptions options,
            NDManager manager) {
        Mark[] ends = new Mark[2]; // the last DDIM-inversion update, the last null-text update
        Progress progress = (stage, step, of) -> {
            if (step == of && stage.equals(NullTextInversion.STAGE_DDIM_INVERSION)) {
                ends[0] = Mark.now();
            } else if (step == of && stage.equals(NullTextInversion.STAGE_NULL_TEXT)) {
                ends[1] = Mark.now();
            }
        };
        try (NDManager out = manager.newSubManager()) {
            InversionResult result = inversion.invert(pixels, conditional, options, out, progress);
            List<InversionResult.StepDiagnostics> steps = result.steps();
            int iterations = steps.stream().mapToInt(InversionResult.StepDiagnostics::iterations).sum();
            return new NullPhase(ends[1].since(ends[0]), iterations, steps.get(steps.size() - 1).finalLoss());
        }
    }

    /** One session of warmup + repeat steps; each step timed alone. */
    private void fineTune(StableDiffusion model, String op, TrainingPair pair, FineTuneOptions options) throws Exception {
        BenchSamples samples = new BenchSamples();
        float check = Float.NaN;
        try (FineTuneSession session = new IdentityFineTuner(model, options).start(List.of(pair), Progress.NONE)) {
            for (int i = -warmup; i < repeat; i++) {
                Mark start = Mark.now();
                List<StepLog> log = session.step();
                Span span = Mark.now().since(start);
                check = log.get(0).reconstruction();
                if (i >= 0) {
                    samples.add(span);
                }
            }
        }
        JniUtils.setGradMode(false);
        print(samples.writeTo(line(op)).put("spatial", options.spatial()).put("semantic_weight", options.semanticWeight())
                .put("check", check));
    }

    private ObjectNode line(String op) {
        ObjectNode line = json.createObjectNode();
        line.put("impl", "s2edit").put("config", label).put("op", op).put("height", height).put("width", width)
                .put("threads", JniUtils.getNumThreads()).put("interop_threads", JniUtils.getNumInteropThreads())
                .put("repeat", repeat).put("warmup", warmup);
        return line;
    }

    private void print(ObjectNode line) throws Exception {
        System.out.println(json.writeValueAsString(line));
        System.out.flush();
    }
}
