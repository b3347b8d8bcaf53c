package io.s2edit.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.s2edit.engine.Progress;
import io.s2edit.engine.ResidentMemory;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.pipeline.TextToImage;
import io.s2edit.engine.unet.UNet2DConditionModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code ./s2edit bench-engine --model DIR --height H --width W [--repeat N] [--warmup N]
 * [--threads N] [--ops LIST] [--memory-steps N] [--profile FILE]}: times the engine's three hot
 * paths on a checkpoint and prints one JSON line per operation (median, min, max and every sample
 * in ms) on stdout. {@code --threads} sets libtorch's intra-op threads (DJL's
 * {@code ai.djl.pytorch.num_threads}; its default is the core count).
 *
 * <ol>
 *   <li>{@code unet_forward}: eps = UNet(z, 500, c), z [2, C, h, w], c [2, 77, D] (the CFG batch),
 *       no gradient recording;</li>
 *   <li>{@code unet_forward_backward}: loss = mean(eps^2) and its backward pass into every UNet
 *       parameter, as a fine-tuning step computes it (gradients zeroed between samples, untimed);</li>
 *   <li>{@code generate_10}: 10 DDIM steps of text-to-image with guidance 7.5, prompt encoding and
 *       VAE decode included;</li>
 *   <li>{@code memory_rss} (only when listed in {@code --ops}): one {@code --memory-steps}-step
 *       generation (200 by default), reporting resident memory at step 20 and its maximum
 *       afterwards.</li>
 * </ol>
 *
 * <p>Inputs are drawn as PyTorch would: {@code manual_seed(0); randn(2, C, h, w); randn(2, 77, D)},
 * and the initial noise with {@code manual_seed(1); randn(1, C, h, w)}, so
 * {@code tools/bench/diffusers_bench.py} computes the same numbers; each line carries a
 * {@code check} value (output sum, loss, image mean) to show that. Besides wall time each line has
 * {@code cpu_median_ms}, the median of each sample's process CPU time (user + system, all
 * threads): on a shared machine it moves far less than wall time. A sample's time includes
 * closing its NDScope (freeing its temporaries), which is part of every real step.
 * {@code --profile FILE} writes libtorch's trace (chrome://tracing) of one more forward+backward.
 */
final class BenchEngineCommand implements Main.Command {

    private static final float TIMESTEP = 500;
    private static final int BATCH = 2;
    private static final int GENERATE_STEPS = 10;
    private static final double GUIDANCE = 7.5;
    private static final String PROMPT = "a photo of a cat";
    private static final int INPUT_SEED = 0;
    private static final int NOISE_SEED = 1;
    private static final int MEMORY_BASELINE_STEP = 20;
    /** The timed operations (the default), then the optional resident-memory run. */
    private static final List<String> OPS =
            List.of("unet_forward", "unet_forward_backward", "generate_" + GENERATE_STEPS, "memory_rss");

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public String summary() {
        return "time UNet forward, forward+backward and a 10-step generate; one JSON line per operation";
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = Args.parse("bench-engine", argv,
                Set.of("model", "height", "width", "repeat", "warmup", "threads", "memory-steps", "profile", "ops"), Set.of());
        Path modelDir = args.path("model");
        int height = args.integer("height", 0, 8, 4096);
        int width = args.integer("width", 0, 8, 4096);
        int repeat = args.integer("repeat", 5, 1, 1000);
        int warmup = args.integer("warmup", 1, 0, 1000);
        int threads = args.integer("threads", 0, 1, 1024);
        int memorySteps = args.integer("memory-steps", 200, MEMORY_BASELINE_STEP + 1, 1000);
        Set<String> ops = Set.of(args.string("ops", String.join(",", OPS.subList(0, 3))).split(","));
        if (!OPS.containsAll(ops)) {
            throw new UsageException("bench-engine: --ops takes a comma-separated subset of " + OPS + ", got " + ops);
        }
        if (height == 0 || width == 0) {
            throw new UsageException("bench-engine: --height and --width are required (image pixels, e.g. 256)");
        }
        BenchSamples.startEngine(threads);
        try (NDManager manager = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(modelDir, manager)) {
            Bench bench = new Bench(modelDir.getFileName().toString(), height, width, repeat, warmup);
            UNet2DConditionModel unet = model.unet();
            Engine.getInstance().setRandomSeed(INPUT_SEED);
            NDArray sample = manager.randomNormal(new Shape(BATCH, unet.config().inChannels(), model.latentSize(height),
                    model.latentSize(width))); // z [2, C, h, w]
            NDArray context = manager.randomNormal(new Shape(BATCH, 77, unet.config().crossAttentionDim().get(0))); // [2, 77, D]
            if (ops.contains(OPS.get(0))) {
                bench.report(OPS.get(0), () -> unet.forward(sample, TIMESTEP, context).sum().getFloat(), null);
            }
            if (ops.contains(OPS.get(1))) {
                forwardBackward(bench, unet, sample, context, args.string("profile", null));
            }
            TextToImage pipeline = new TextToImage(model);
            TextToImage.Request request = new TextToImage.Request(PROMPT, "", GENERATE_STEPS, GUIDANCE, height, width);
            Engine.getInstance().setRandomSeed(NOISE_SEED);
            NDArray noise = manager.randomNormal(new Shape(pipeline.noiseShape(request))); // x_T [1, C, h, w]
            if (ops.contains(OPS.get(2))) {
                bench.report(OPS.get(2), () -> {
                    try (NDManager out = manager.newSubManager()) {
                        return pipeline.generate(request, noise, out, Progress.NONE).image().mean().getFloat();
                    }
                }, null);
            }
            if (ops.contains(OPS.get(3))) {
                reportMemory(bench, pipeline, new TextToImage.Request(PROMPT, "", memorySteps, GUIDANCE, height, width),
                        noise, manager);
            }
        }
        return 0;
    }

    /** loss = mean(eps^2) and its backward into every UNet parameter; optionally one more sample profiled. */
    private static void forwardBackward(Bench bench, UNet2DConditionModel unet, NDArray sample, NDArray context,
            String profile) throws Exception {
        Checkpoint.setTrainable(unet, true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            bench.report(OPS.get(1), () -> {
                NDArray loss = unet.forward(sample, TIMESTEP, context).square().mean(); // mean(eps^2)
                collector.backward(loss);
                return loss.getFloat();
            }, () -> unet.parameters().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p.get())));
            if (profile != null) {
                // One more sample under libtorch's profiler: a chrome://tracing file of every op.
                JniUtils.startProfile(false, true, false);
                try (NDScope scope = new NDScope()) {
                    collector.backward(unet.forward(sample, TIMESTEP, context).square().mean());
                }
                JniUtils.stopProfile(profile);
                System.err.println("bench-engine: wrote the profile of one forward+backward to " + profile);
            }
        } finally {
            Checkpoint.setTrainable(unet, false);
        }
    }

    /** Times operations and prints their JSON lines; every sample runs in its own NDScope. */
    private final class Bench {
        private final String label;
        private final int height;
        private final int width;
        private final int repeat;
        private final int warmup;

        Bench(String label, int height, int width, int repeat, int warmup) {
            this.label = label;
            this.height = height;
            this.width = width;
            this.repeat = repeat;
            this.warmup = warmup;
        }

        /** Runs {@code op} warmup + repeat times ({@code between} untimed after each) and prints its line. */
        void report(String op, Supplier<Float> body, Runnable between) throws Exception {
            BenchSamples samples = new BenchSamples();
            float check = Float.NaN;
            for (int i = -warmup; i < repeat; i++) {
                BenchSamples.Mark start = BenchSamples.Mark.now();
                try (NDScope scope = new NDScope()) {
                    check = body.get();
                }
                BenchSamples.Span span = BenchSamples.Mark.now().since(start);
                if (i >= 0) {
                    samples.add(span);
                }
                if (between != null) {
                    between.run();
                }
            }
            ObjectNode line = header(op);
            line.put("repeat", repeat).put("warmup", warmup);
            samples.writeTo(line).put("check", check);
            System.out.println(json.writeValueAsString(line));
            System.out.flush();
        }

        ObjectNode header(String op) {
            ObjectNode line = json.createObjectNode();
            line.put("impl", "s2edit").put("config", label).put("op", op).put("height", height).put("width", width)
                    .put("threads", JniUtils.getNumThreads()).put("interop_threads", JniUtils.getNumInteropThreads());
            return line;
        }
    }

    /** One long generation; RSS after each step; the line says how far it grew after step 20. */
    private void reportMemory(Bench bench, TextToImage pipeline, TextToImage.Request request, NDArray noise,
            NDManager manager) throws Exception {
        List<Long> rss = new ArrayList<>();
        long start = System.nanoTime();
        try (NDManager out = manager.newSubManager()) {
            pipeline.generate(request, noise, out, (stage, step, total) -> rss.add(ResidentMemory.kib()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long atBaseline = rss.get(MEMORY_BASELINE_STEP - 1);
        long maxAfter = rss.subList(MEMORY_BASELINE_STEP, rss.size()).stream().mapToLong(Long::longValue).max().orElseThrow();
        ObjectNode line = bench.header(OPS.get(3));
        line.put("steps", request.steps()).put("rss_kib_step_1", rss.get(0))
                .put("rss_kib_step_" + MEMORY_BASELINE_STEP, atBaseline)
                .put("rss_kib_max_after_" + MEMORY_BASELINE_STEP, maxAfter).put("rss_kib_last", rss.get(rss.size() - 1))
                .put("growth_pct", BenchSamples.round(100.0 * (maxAfter - atBaseline) / atBaseline))
                .put("seconds", BenchSamples.round(seconds));
        System.out.println(json.writeValueAsString(line));
    }
}
