package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code Timesteps} ({@code time_proj}): the sinusoidal timestep embedding of DDPM (Ho et
 * al. 2020, after Vaswani et al. 2017), exactly as {@code get_timestep_embedding}:
 * {@code freq_i = exp(-ln(10000) * i / (half - shift))} for i in [0, half), then
 * {@code [sin(t freq), cos(t freq)]}, swapped to {@code [cos, sin]} when flip_sin_to_cos. Computed
 * in fp32 with the same operation order as diffusers so the phases of t ~ 1000 round alike. No
 * parameters.
 */
public final class Timesteps extends Module {

    private static final double MAX_PERIOD = 10000;

    private final int channels;
    private final boolean flipSinToCos;
    private final float downscaleFreqShift;

    public Timesteps(int channels, boolean flipSinToCos, float downscaleFreqShift) {
        this.channels = channels;
        this.flipSinToCos = flipSinToCos;
        this.downscaleFreqShift = downscaleFreqShift;
    }

    /** timesteps [N] (any numeric type, may be fractional) -> [N, channels] fp32. */
    public NDArray forward(NDArray timesteps) {
        NDManager manager = timesteps.getManager();
        int half = channels / 2;
        NDArray exponent = manager.arange(0f, (float) half, 1f, DataType.FLOAT32)
                .mul((float) -Math.log(MAX_PERIOD))
                .div(half - downscaleFreqShift); // [half]
        NDArray frequencies = exponent.exp().reshape(1, half); // [1, half]
        NDArray t = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1); // [N, 1]
        NDArray phases = t.mul(frequencies); // [N, half]
        NDArray sin = phases.sin();
        NDArray cos = phases.cos();
        NDArray emb = flipSinToCos ? cos.concat(sin, 1) : sin.concat(cos, 1); // [N, 2*half]
        if (channels % 2 == 1) {
            emb = emb.concat(manager.zeros(new ai.djl.ndarray.types.Shape(emb.getShape().get(0), 1)), 1);
        }
        return emb;
    }
}
