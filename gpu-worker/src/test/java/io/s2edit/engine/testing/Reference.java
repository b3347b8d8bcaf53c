package io.s2edit.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.engine.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The committed reference: tiny random checkpoints and what diffusers / transformers computed on
 * them ({@code tools/reference/make_reference.py}), under {@code src/test/resources/reference}.
 */
public final class Reference implements AutoCloseable {

    /** Both reference checkpoints: "tiny" (square, 2 levels) and "tiny-wide" (non-square, 3 levels, F16/BF16 weights). */
    public static final List<String> CHECKPOINTS = List.of("tiny", "tiny-wide");

    private static final Path ROOT = locate();

    private final String name;
    private final SafeTensors outputs;
    private final JsonNode facts;

    private Reference(String name) throws IOException {
        this.name = name;
        this.outputs = SafeTensors.open(ROOT.resolve("outputs").resolve(name + ".safetensors"));
        this.facts = new ObjectMapper().readTree(ROOT.resolve("outputs").resolve(name + ".json").toFile());
    }

    public static Reference open(String checkpoint) {
        try {
            return new Reference(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path root() {
        return ROOT;
    }

    private static Path locate() {
        for (Path p : List.of(Path.of("src/test/resources/reference"), Path.of("gpu-worker/src/test/resources/reference"))) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException("reference folder not found from " + Path.of("").toAbsolutePath());
    }

    public String name() {
        return name;
    }

    /** The checkpoint folder (diffusers layout). */
    public Path checkpoint() {
        return ROOT.resolve(name);
    }

    public JsonNode facts() {
        return facts;
    }

    public boolean has(String tensor) {
        return outputs.contains(tensor);
    }

    public NDArray tensor(String tensor, NDManager manager) {
        return outputs.load(tensor, manager);
    }

    /** Asserts same shape and max |actual - expected| <= tolerance; returns the max error. */
    public static double assertClose(NDArray expected, NDArray actual, double tolerance, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double max = 0;
        int at = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= max)) { // also catches NaN
                max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        double worst = max;
        int index = at;
        assertTrue(worst <= tolerance, () -> String.format("%s: max abs error %.3g at flat index %d (expected %g, got %g) exceeds %.1g",
                what, worst, index, e[index], a[index], tolerance));
        return worst;
    }

    @Override
    public void close() throws IOException {
        outputs.close();
    }
}
