package io.s2edit.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code scheduler/scheduler_config.json} of a diffusers checkpoint, with SD v1.x defaults.
 *
 * @param betaSchedule "scaled_linear" (SD v1) or "linear"
 * @param timestepSpacing "leading" (SD v1), "trailing" or "linspace"
 * @param predictionType only "epsilon" is supported (SD v1.x)
 */
public record SchedulerConfig(
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        String betaSchedule,
        boolean setAlphaToOne,
        int stepsOffset,
        String timestepSpacing,
        String predictionType,
        boolean clipSample) {

    private static final List<String> SCHEDULES = List.of("scaled_linear", "linear");
    private static final List<String> SPACINGS = List.of("leading", "trailing", "linspace");

    public SchedulerConfig {
        if (numTrainTimesteps <= 0) {
            throw new IllegalArgumentException("num_train_timesteps must be positive, got " + numTrainTimesteps);
        }
        if (!SCHEDULES.contains(betaSchedule)) {
            throw new IllegalArgumentException("beta_schedule '" + betaSchedule + "' is not supported; use one of " + SCHEDULES);
        }
        if (!SPACINGS.contains(timestepSpacing)) {
            throw new IllegalArgumentException("timestep_spacing '" + timestepSpacing + "' is not supported; use one of " + SPACINGS);
        }
        if (!predictionType.equals("epsilon")) {
            throw new IllegalArgumentException("prediction_type '" + predictionType + "' is not supported; SD v1.x predicts 'epsilon'");
        }
        if (clipSample) {
            throw new IllegalArgumentException("clip_sample true is not supported; SD v1.x uses false");
        }
    }

    /** The Stable Diffusion v1.x DDIM configuration. */
    public static SchedulerConfig sdV1() {
        return new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", false, 1, "leading", "epsilon", false);
    }

    public static SchedulerConfig load(Path schedulerDir) throws IOException {
        JsonNode json = new ObjectMapper().readTree(schedulerDir.resolve("scheduler_config.json").toFile());
        SchedulerConfig d = sdV1();
        return new SchedulerConfig(
                json.path("num_train_timesteps").asInt(d.numTrainTimesteps()),
                json.path("beta_start").asDouble(d.betaStart()),
                json.path("beta_end").asDouble(d.betaEnd()),
                json.path("beta_schedule").asText(d.betaSchedule()),
                json.path("set_alpha_to_one").asBoolean(d.setAlphaToOne()),
                json.path("steps_offset").asInt(d.stepsOffset()),
                json.path("timestep_spacing").asText(d.timestepSpacing()),
                json.path("prediction_type").asText(d.predictionType()),
                json.path("clip_sample").asBoolean(d.clipSample()));
    }
}
