package io.s2edit.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.pipeline.TextToImage;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ./s2edit generate --model DIR --prompt TEXT [--negative TEXT] [--steps N] [--guidance W]
 * [--seed S] [--height H] [--width W] --out FILE.png}. The initial noise is
 * {@code torch.manual_seed(S); torch.randn(1, 4, H/8, W/8)}, the same tensor PyTorch draws.
 */
final class GenerateCommand implements Main.Command {

    @Override
    public String summary() {
        return "text-to-image with a Stable Diffusion v1.x checkpoint (DDIM, classifier-free guidance)";
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = Args.parse("generate", argv,
                Set.of("model", "prompt", "negative", "steps", "guidance", "seed", "height", "width", "out"), Set.of());
        Path modelDir = args.path("model");
        Path out = args.path("out");
        String prompt = args.required("prompt");
        int seed = args.integer("seed", 0, 0, Integer.MAX_VALUE);
        long started = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(modelDir, manager)) {
            int defaultSize = model.unet().config().sampleSize() * model.vae().config().downscaleFactor();
            TextToImage.Request request = new TextToImage.Request(prompt, args.string("negative", ""),
                    args.integer("steps", 50, 1, 1000), args.decimal("guidance", 7.5, 0, 100),
                    args.integer("height", defaultSize, 8, 4096), args.integer("width", defaultSize, 8, 4096));
            TextToImage pipeline = new TextToImage(model);
            Engine.getInstance().setRandomSeed(seed);
            NDArray noise = manager.randomNormal(new ai.djl.ndarray.types.Shape(pipeline.noiseShape(request)));
            TextToImage.Result result = pipeline.generate(request, noise, manager, new ProgressBar(System.err));
            Images.writePng(Images.toImage(result.image()), out);
        }
        System.err.printf("wrote %s in %.1fs%n", out, (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
