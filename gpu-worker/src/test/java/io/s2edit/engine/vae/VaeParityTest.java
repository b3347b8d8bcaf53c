package io.s2edit.engine.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.testing.Reference;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * AutoencoderKL against diffusers 0.42.1 on the committed tiny checkpoints (tiny: fp32 weights,
 * two blocks, 64x64; tiny-wide: bf16 weights read as fp32, three blocks, 48x80). Tolerance: 1e-4
 * max abs error per output, fp32 (seen: at most ~4e-6).
 */
class VaeParityTest {

    private static final double TOLERANCE = 1e-4;

    static final List<String> CHECKPOINTS = Reference.CHECKPOINTS;

    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void encoderAndDecoderMatchDiffusers(String checkpoint) throws IOException {
        try (Reference ref = Reference.open(checkpoint);
                NDManager m = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(ref.checkpoint().resolve("vae"), m);
                NDScope scope = new NDScope()) {
            assertEquals(ref.facts().path("vae").path("scaling_factor").floatValue(), vae.config().scalingFactor(), "scaling factor");

            DiagonalGaussian posterior = vae.encode(ref.tensor("vae.image", m));
            check(ref, "vae.posterior_mean", posterior.mean(), m);
            check(ref, "vae.posterior_logvar", posterior.logvar(), m);
            check(ref, "vae.posterior_sample", posterior.sample(ref.tensor("vae.sample_noise", m)), m);
            check(ref, "vae.latents", vae.encodeLatents(ref.tensor("vae.image", m)), m);
            check(ref, "vae.decode.out", vae.decode(ref.tensor("vae.decode.in", m)), m);
        }
    }

    /** The text-to-image run's final (scaled) latents decode to its image (1e-4) and its PNG (1/255). */
    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void decodesTextToImageLatentsToTheReferencePng(String checkpoint) throws IOException {
        try (Reference ref = Reference.open(checkpoint);
                NDManager m = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(ref.checkpoint().resolve("vae"), m);
                NDScope scope = new NDScope()) {
            NDArray image = vae.decodeLatents(ref.tensor("t2i.latents", m)).mul(0.5f).add(0.5f).clip(0f, 1f); // [1, 3, H, W]
            check(ref, "t2i.image", image, m);

            BufferedImage png = ImageIO.read(Reference.root().resolve("outputs/" + checkpoint + "-t2i.png").toFile());
            BufferedImage ours = Images.toImage(image);
            int worst = 0;
            for (int y = 0; y < png.getHeight(); y++) {
                for (int x = 0; x < png.getWidth(); x++) {
                    for (int shift = 0; shift <= 16; shift += 8) {
                        worst = Math.max(worst, Math.abs(((png.getRGB(x, y) >> shift) & 0xFF) - ((ours.getRGB(x, y) >> shift) & 0xFF)));
                    }
                }
            }
            System.out.printf("%s t2i PNG: max pixel difference %d/255%n", checkpoint, worst);
            assertTrue(worst <= 1, checkpoint + ": PNG differs from diffusers' by " + worst + "/255");
        }
    }

    /** Fine-tuning samples the posterior: a loss on the sample must reach the encoder's weights, not the decoder's. */
    @Test
    void gradientsFlowFromThePosteriorSampleToTheEncoder() throws IOException {
        try (Reference ref = Reference.open("tiny");
                NDManager m = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(ref.checkpoint().resolve("vae"), m);
                NDScope scope = new NDScope()) {
            Checkpoint.setTrainable(vae, true);
            NDArray image = ref.tensor("vae.image", m);
            NDArray noise = ref.tensor("vae.sample_noise", m);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(vae.encode(image).sample(noise).square().mean());
            }
            for (String key : List.of("encoder.conv_in.weight", "encoder.mid_block.attentions.0.to_q.weight", "quant_conv.bias")) {
                try (NDArray grad = vae.parameters().get(key).get().getGradient()) {
                    assertNotNull(grad, key);
                    float norm = grad.abs().sum().getFloat();
                    assertTrue(norm > 0 && Float.isFinite(norm), key + " gradient L1 norm " + norm);
                }
            }
            try (NDArray grad = vae.parameters().get("decoder.conv_in.weight").get().getGradient()) {
                assertEquals(0f, grad.abs().sum().getFloat(), "the decoder takes no part in encoding");
            }
        }
    }

    @Test
    void rejectsImagesWhoseSidesAreNotMultiplesOfTheDownscaleFactor() throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(Reference.root().resolve("tiny-wide/vae"), m)) {
            assertEquals(4, vae.config().downscaleFactor());
            NDArray odd = m.zeros(new Shape(1, 3, 48, 78));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vae.encode(odd));
            assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
        }
    }

    @Test
    void readsTheSdV1ConfigAndRejectsUnsupportedBlocksByName(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"block_out_channels\": [128, 256, 512, 512], \"layers_per_block\": 2, \"sample_size\": 512,"
                + " \"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\", \"DownEncoderBlock2D\", \"DownEncoderBlock2D\"],"
                + " \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\", \"UpDecoderBlock2D\", \"UpDecoderBlock2D\"]}");
        assertEquals(VaeConfig.SD_V1, VaeConfig.read(config));
        assertEquals(8, VaeConfig.SD_V1.downscaleFactor());
        Files.writeString(config, "{\"down_block_types\": [\"AttnDownEncoderBlock2D\"]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.read(config));
        assertTrue(e.getMessage().contains("AttnDownEncoderBlock2D"), e.getMessage());
    }

    private static void check(Reference ref, String tensor, NDArray actual, NDManager m) {
        double error = Reference.assertClose(ref.tensor(tensor, m), actual, TOLERANCE, ref.name() + " " + tensor);
        System.out.printf("%s %s: max abs error %.3g%n", ref.name(), tensor, error);
    }
}
