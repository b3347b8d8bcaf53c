package io.s2edit.engine.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AutoencoderKL against diffusers 0.42.1 on the committed tiny checkpoints (tiny: fp32 weights,
 * square 64x64; tiny-wide: bf16 weights read as fp32, three blocks, 48x80). Tolerance: 1e-4 max
 * abs error per output, fp32.
 */
class VaeParityTest {

    private static final Path REFERENCE = Path.of("src/test/resources/reference");
    private static final float TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-wide"})
    void encoderAndDecoderMatchDiffusers(String name) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(REFERENCE.resolve("outputs/" + name + ".json").toFile()).path("vae");
        try (NDManager manager = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(REFERENCE.resolve(name).resolve("vae"), manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/" + name + ".safetensors"));
                NDScope scope = new NDScope()) {
            assertEquals(expected.path("scaling_factor").floatValue(), vae.config().scalingFactor(), "scaling factor");

            DiagonalGaussian posterior = vae.encode(ref.load("vae.image", manager));
            assertClose(ref.load("vae.posterior_mean", manager), posterior.mean(), name + " posterior mean");
            assertClose(ref.load("vae.posterior_logvar", manager), posterior.logvar(), name + " posterior logvar");
            assertClose(ref.load("vae.posterior_sample", manager), posterior.sample(ref.load("vae.sample_noise", manager)),
                    name + " posterior sample");
            assertClose(ref.load("vae.latents", manager), vae.encodeLatents(ref.load("vae.image", manager)), name + " latents");
            assertClose(ref.load("vae.decode.out", manager), vae.decode(ref.load("vae.decode.in", manager)), name + " decode");
        }
    }

    /** The text-to-image run's final latents decode to its image (within 1e-4) and its PNG (within 1/255). */
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-wide"})
    void decodesTextToImageLatentsToTheReferencePng(String name) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(REFERENCE.resolve(name).resolve("vae"), manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/" + name + ".safetensors"));
                NDScope scope = new NDScope()) {
            NDArray image = vae.decodeLatents(ref.load("t2i.latents", manager)).mul(0.5f).add(0.5f).clip(0f, 1f);
            assertClose(ref.load("t2i.image", manager), image, name + " t2i image");

            BufferedImage png = ImageIO.read(REFERENCE.resolve("outputs/" + name + "-t2i.png").toFile());
            BufferedImage ours = Images.toImage(image);
            int worst = 0;
            for (int y = 0; y < png.getHeight(); y++) {
                for (int x = 0; x < png.getWidth(); x++) {
                    for (int shift = 0; shift <= 16; shift += 8) {
                        int a = (png.getRGB(x, y) >> shift) & 0xFF;
                        int b = (ours.getRGB(x, y) >> shift) & 0xFF;
                        worst = Math.max(worst, Math.abs(a - b));
                    }
                }
            }
            System.out.printf("%s t2i PNG: max pixel difference %d/255%n", name, worst);
            assertTrue(worst <= 1, name + ": PNG differs from diffusers' by " + worst + "/255");
        }
    }

    /** Fine-tuning samples the posterior: a loss on the sample must reach the encoder's weights. */
    @Test
    void gradientsFlowFromThePosteriorSampleToTheEncoder() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(REFERENCE.resolve("tiny/vae"), manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/tiny.safetensors"));
                NDScope scope = new NDScope()) {
            Checkpoint.setTrainable(vae, true);
            NDArray image = ref.load("vae.image", manager);
            NDArray noise = ref.load("vae.sample_noise", manager);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray sample = vae.encode(image).sample(noise);
                collector.backward(sample.square().mean());
            }
            for (String key : new String[] {"encoder.conv_in.weight", "encoder.mid_block.attentions.0.to_q.weight", "quant_conv.bias"}) {
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
        try (NDManager manager = NDManager.newBaseManager();
                AutoencoderKL vae = AutoencoderKL.load(REFERENCE.resolve("tiny-wide/vae"), manager)) {
            assertEquals(4, vae.config().downscaleFactor());
            NDArray odd = manager.zeros(new ai.djl.ndarray.types.Shape(1, 3, 48, 78));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vae.encode(odd));
            assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
        }
    }

    @Test
    void readsTheSdV1DefaultsAndRejectsUnsupportedBlocks(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
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

    static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + " shape");
        float error = expected.sub(actual).abs().max().getFloat();
        System.out.printf("%s: max abs error %.3g%n", what, error);
        assertTrue(error <= TOLERANCE, what + ": max abs error " + error + " > " + TOLERANCE);
    }
}
