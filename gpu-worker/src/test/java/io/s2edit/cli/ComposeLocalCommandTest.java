package io.s2edit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.TinyFixture;
import io.s2edit.s2edit.artifact.TokenEmbeddings;
import io.s2edit.s2edit.mask.ObjectMask;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./s2edit compose-local} (§3.3) end to end on the tiny checkpoint: joint fine-tuning on
 * (source, [I]) and (reference, [A]), inversion of the source, one image per mixed prompt. Run
 * time is kept down as in DefaultS2EditStagesTest: one fine-tuning step, one denoising step with at
 * most two Null-text iterations ({@code --inner-steps 2}), and user masks for both images, which
 * skip the mask-extraction passes.
 */
class ComposeLocalCommandTest {

    static final String SOURCE = "a photo of a [I] cat";
    static final String REFERENCE = "a photo of a [A] dog";
    static final List<String> MIXED = List.of("a photo of a [I] cat with [A] dog fur", "a photo of a [I] cat beside a [A] dog");

    @TempDir
    Path dir;

    @Test
    void writesBothTokensTheDeltaBothMasksLatentsAndOneImagePerMixedPrompt() throws Exception {
        Path out = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = new EditLocalCommand(true, new PrintStream(log, true, StandardCharsets.UTF_8)).run(argv(out, REFERENCE));
        String summary = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, summary);

        List<Path> expected = List.of(out.resolve("finetune/token-embeddings.safetensors"),
                out.resolve("finetune/weight-delta.safetensors"), out.resolve("finetune/object-mask.png"),
                out.resolve("finetune/object-mask-A.png"), out.resolve("invert/latents.safetensors"),
                out.resolve("edits/0.png"), out.resolve("edits/1.png"));
        for (Path file : expected) {
            assertTrue(Files.isRegularFile(file), file + " was not written");
            assertTrue(summary.contains("  " + file + "\n"), "the summary does not name " + file + ":\n" + summary);
        }
        for (int n = 0; n < MIXED.size(); n++) {
            assertTrue(summary.contains("edits/" + n + ".png  <- \"" + MIXED.get(n) + "\""), summary);
            BufferedImage image = Images.read(out.resolve("edits/" + n + ".png"));
            assertEquals(64, image.getWidth(), "the tiny checkpoint's native size");
        }

        // Both learned rows are in the token file, each moved by fine-tuning from its object word's row.
        TokenEmbeddings tokens = TokenEmbeddings.read(out.resolve("finetune/token-embeddings.safetensors"));
        assertEquals(List.of("[I]", "[A]"), tokens.tokens().stream().map(TokenEmbeddings.Token::text).toList());
        assertEquals(List.of(49408, 49409), tokens.tokens().stream().map(TokenEmbeddings.Token::id).toList());
        assertTrue(tokens.spatialControl());
        List<float[]> wordRows = objectWordRows(List.of("cat", "dog"));
        for (int i = 0; i < 2; i++) {
            float[] row = tokens.tokens().get(i).row();
            double moved = maxAbsDiff(row, wordRows.get(i));
            assertTrue(moved > 0 && moved < 1e-3, tokens.tokens().get(i).text() + " moved by " + moved
                    + " from its object word's row (1 step at lr 2e-6 moves it by about 2e-6)");
        }

        // The two masks are the two user masks, not one mask saved twice.
        ObjectMask source = ObjectMask.read(out.resolve("finetune/object-mask.png"), 32, 32);
        ObjectMask reference = ObjectMask.read(out.resolve("finetune/object-mask-A.png"), 32, 32);
        assertTrue(source.coverage() > 0 && source.coverage() < 1, "source mask coverage " + source.coverage());
        assertTrue(reference.coverage() > 0 && reference.coverage() < source.coverage(),
                "the reference disc is smaller: " + reference.coverage() + " vs " + source.coverage());
    }

    @Test
    void aReferencePromptWithoutItsPlaceholderFailsBeforeTheModelLoads() throws Exception {
        UsageException e = assertThrows(UsageException.class,
                () -> new EditLocalCommand(true, quiet()).run(argv(dir.resolve("x"), "a photo of a dog")));
        assertTrue(e.getMessage().startsWith("compose-local: --reference-prompt: "), e.getMessage());
        assertTrue(e.getMessage().contains("[A] exactly once") && e.getMessage().contains("0 times"), e.getMessage());
        UsageException both = assertThrows(UsageException.class,
                () -> new EditLocalCommand(true, quiet()).run(argv(dir.resolve("x"), "a [I] photo of a [A] dog")));
        assertTrue(both.getMessage().contains("--reference-prompt") && both.getMessage().contains("contains [I] as well as [A]"),
                both.getMessage());
        assertFalse(Files.exists(dir.resolve("x")), "nothing is written for bad input");
    }

    @Test
    void aMissingReferenceIsNamed() throws Exception {
        String[] argv = without(argv(dir.resolve("x"), REFERENCE), "--reference");
        UsageException e = assertThrows(UsageException.class, () -> new EditLocalCommand(true, quiet()).run(argv));
        assertEquals("compose-local: --reference is required", e.getMessage());
        List<String> withCommand = new ArrayList<>(List.of("compose-local"));
        withCommand.addAll(List.of(argv));
        assertEquals(2, Main.run(withCommand.toArray(String[]::new)), "a usage error exits with 2");
    }

    @Test
    void stepCountsOutOfRangeAreNamedBeforeTheModelLoads() throws Exception {
        String[] argv = argv(dir.resolve("x"), REFERENCE);
        for (String[] bad : List.of(new String[] {"--mask-steps", "0", "[1, 1000]"},
                new String[] {"--inner-steps", "101", "[0, 100]"}, new String[] {"--inner-steps", "two", "an integer"})) {
            List<String> args = new ArrayList<>(List.of(argv));
            args.addAll(List.of(bad[0], bad[1]));
            UsageException e = assertThrows(UsageException.class,
                    () -> new EditLocalCommand(true, quiet()).run(args.toArray(String[]::new)));
            assertTrue(e.getMessage().startsWith("compose-local: " + bad[0] + " must be") && e.getMessage().contains(bad[2]),
                    e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x")), "nothing is written for bad input");
    }

    /** compose-local's arguments for a run into {@code out}, with {@code referencePrompt}. */
    private String[] argv(Path out, String referencePrompt) throws Exception {
        Path source = dir.resolve("source.png");
        Path reference = dir.resolve("reference.png");
        Path sourceMask = dir.resolve("source-mask.png");
        Path referenceMask = dir.resolve("reference-mask.png");
        if (!Files.exists(source)) {
            Images.writePng(TinyFixture.disc(), source);
            Images.writePng(TinyFixture.disc(32, 20, 18, 6), reference);
            Images.writePng(discMask(12, 14, 8), sourceMask);
            Images.writePng(discMask(20, 18, 6), referenceMask);
        }
        List<String> args = new ArrayList<>(List.of("--model", TinyFixture.checkpoint().toString(),
                "--image", source.toString(), "--source", SOURCE, "--object", "cat", "--mask", sourceMask.toString(),
                "--reference", reference.toString(), "--reference-prompt", referencePrompt, "--reference-object", "dog",
                "--reference-mask", referenceMask.toString(),
                "--finetune-steps", "1", "--steps", "1", "--inner-steps", "2", "--seed", "5", "--out", out.toString()));
        for (String target : MIXED) {
            args.add("--target");
            args.add(target);
        }
        return args.toArray(String[]::new);
    }

    /** {@code argv} without the option {@code name} and its value. */
    private static String[] without(String[] argv, String name) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals(name)) {
                i++;
            } else {
                out.add(argv[i]);
            }
        }
        assertEquals(argv.length - 2, out.size(), name + " was in the arguments once");
        return out.toArray(String[]::new);
    }

    /** White disc on black, 32x32, at TinyFixture.disc's geometry. */
    private static BufferedImage discMask(int cx, int cy, int r) {
        BufferedImage mask = new BufferedImage(TinyFixture.SIZE, TinyFixture.SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < TinyFixture.SIZE; y++) {
            for (int x = 0; x < TinyFixture.SIZE; x++) {
                mask.setRGB(x, y, (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r ? 0xFFFFFF : 0);
            }
        }
        return mask;
    }

    /** The base checkpoint's embedding row of each word (each one BPE token), where [I] and [A] start. */
    private static List<float[]> objectWordRows(List<String> words) {
        List<float[]> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(); StableDiffusion base = TinyFixture.load(manager);
                NDScope scope = new NDScope()) {
            for (String word : words) {
                int[] positions = base.tokenizer().positionsOf(word, word);
                assertArrayEquals(new int[] {1}, positions, word + " is one token after BOS");
                int id = base.tokenizer().encode(word).idAt(1);
                rows.add(base.textEncoder().tokenEmbeddingTable().get().get(id).toFloatArray());
            }
        }
        return rows;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
