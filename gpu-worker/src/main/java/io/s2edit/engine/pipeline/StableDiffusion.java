package io.s2edit.engine.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.engine.scheduler.SchedulerConfig;
import io.s2edit.engine.text.ClipTextModel;
import io.s2edit.engine.unet.UNet2DConditionModel;
import io.s2edit.engine.vae.AutoencoderKL;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Stable Diffusion v1.x checkpoint in the diffusers folder layout ({@code model_index.json},
 * {@code unet/}, {@code vae/}, {@code text_encoder/}, {@code tokenizer/}, {@code scheduler/}),
 * loaded in fp32 into one manager that owns every weight.
 */
public final class StableDiffusion implements AutoCloseable {

    private final Path directory;
    private final NDManager manager;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final SchedulerConfig schedulerConfig;

    private StableDiffusion(Path directory, NDManager manager, ClipTokenizer tokenizer, ClipTextModel textEncoder,
            UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig) {
        this.directory = directory;
        this.manager = manager;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
    }

    /** Loads every component of the checkpoint at {@code directory}; the caller closes the result. */
    public static StableDiffusion load(Path directory, NDManager parent) throws IOException {
        checkLayout(directory);
        NDManager manager = parent.newSubManager();
        try {
            return new StableDiffusion(directory, manager,
                    ClipTokenizer.load(directory.resolve("tokenizer")),
                    ClipTextModel.load(directory.resolve("text_encoder"), manager),
                    UNet2DConditionModel.load(directory.resolve("unet"), manager),
                    AutoencoderKL.load(directory.resolve("vae"), manager),
                    SchedulerConfig.load(directory.resolve("scheduler")));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static void checkLayout(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException("model folder " + directory + " does not exist");
        }
        Path index = directory.resolve("model_index.json");
        if (!Files.isRegularFile(index)) {
            throw new IOException(directory + " is not a diffusers checkpoint: model_index.json is missing");
        }
        JsonNode json = new ObjectMapper().readTree(index.toFile());
        for (String component : new String[] {"unet", "vae", "text_encoder", "tokenizer", "scheduler"}) {
            if (!json.has(component) || !Files.isDirectory(directory.resolve(component))) {
                throw new IOException(directory + " is not a Stable Diffusion v1.x checkpoint: component '"
                        + component + "' is missing");
            }
        }
    }

    public Path directory() {
        return directory;
    }

    public NDManager manager() {
        return manager;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    /** A fresh scheduler: schedulers are stateful, so each run takes its own. */
    public DdimScheduler newScheduler() {
        return new DdimScheduler(schedulerConfig);
    }

    /** Latent spatial size for an image of {@code pixels}: pixels / 2^(VAE levels - 1). */
    public int latentSize(int pixels) {
        int factor = vae.config().downscaleFactor();
        if (pixels % (factor * unet.config().downsampleFactor()) != 0) {
            throw new IllegalArgumentException("image size " + pixels + " must be a multiple of "
                    + factor * unet.config().downsampleFactor() + " for this checkpoint");
        }
        return pixels / factor;
    }

    /**
     * Encodes a prompt to the text encoder's last hidden state [1, 77, D] (final LayerNorm
     * applied), the conditioning the UNet cross-attends to.
     */
    public NDArray encodePrompt(String prompt) {
        TokenIds tokens = tokenizer.encode(prompt);
        return textEncoder.forward(java.util.List.of(tokens), manager).lastHiddenState(); // [1, 77, D]
    }

    @Override
    public void close() {
        manager.close();
    }
}
