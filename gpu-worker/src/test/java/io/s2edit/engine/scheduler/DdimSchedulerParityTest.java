package io.s2edit.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.s2edit.engine.testing.Reference;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** DDIM against diffusers' DDIMScheduler and the Null-text notebook's {@code next_step}. */
class DdimSchedulerParityTest {

    /** fp32 step arithmetic; values are O(1). */
    private static final double TOLERANCE = 1e-5;

    static final java.util.List<String> CHECKPOINTS = Reference.CHECKPOINTS;

    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void alphasAndTimestepsMatch(String checkpoint) throws IOException {
        try (Reference ref = Reference.open(checkpoint); NDManager m = NDManager.newBaseManager()) {
            DdimScheduler ddim = new DdimScheduler(SchedulerConfig.load(ref.checkpoint().resolve("scheduler")));
            Reference.assertClose(ref.tensor("ddim.alphas_cumprod", m), m.create(ddim.alphasCumprod()), 1e-7, "alphas_cumprod");
            for (int n : new int[] {10, 50}) {
                ddim.setTimesteps(n);
                long[] expected = ref.tensor("ddim.timesteps.n" + n, m).toLongArray();
                assertArrayEquals(expected, Arrays.stream(ddim.timesteps()).asLongStream().toArray(), "timesteps for N=" + n);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void stepsAndInverseStepsMatch(String checkpoint) throws IOException {
        try (Reference ref = Reference.open(checkpoint); NDManager m = NDManager.newBaseManager()) {
            DdimScheduler ddim = new DdimScheduler(SchedulerConfig.load(ref.checkpoint().resolve("scheduler")));
            ddim.setTimesteps(10);
            NDArray sample = ref.tensor("ddim.sample", m);
            NDArray eps = ref.tensor("ddim.eps", m);
            for (int t : ddim.timesteps()) {
                Reference.assertClose(ref.tensor("ddim.prev.t" + t, m), ddim.step(eps, t, sample).prevSample(), TOLERANCE, "step t=" + t);
                Reference.assertClose(ref.tensor("ddim.next.t" + t, m), ddim.inverseStep(eps, t, sample).prevSample(), TOLERANCE,
                        "inverse step to t=" + t);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void rejectsUnsupportedConfigsByName() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
                new SchedulerConfig(1000, 0.00085, 0.012, "squaredcos_cap_v2", false, 1, "leading", "epsilon", false));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("squaredcos_cap_v2"));
    }
}
