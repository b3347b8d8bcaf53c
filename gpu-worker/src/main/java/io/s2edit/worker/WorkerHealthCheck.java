package io.s2edit.worker;

import io.s2edit.common.messages.JobMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Readiness: the base checkpoint is where {@code s2edit.model.dir} says (the Kafka connector adds
 * its own checks). The data show the job on the GPU, if any.
 */
@Readiness
@ApplicationScoped
public class WorkerHealthCheck implements HealthCheck {

    @Inject
    WorkerConfig config;

    @Inject
    JobRunner runner;

    @Override
    public HealthCheckResponse call() {
        Path dir = config.model().dir();
        boolean model = Files.isRegularFile(dir.resolve("model_index.json"));
        HealthCheckResponseBuilder b = HealthCheckResponse.named("s2edit-worker").status(model)
                .withData("model_dir", dir.toAbsolutePath().toString());
        if (!model) {
            b.withData("error", "no diffusers checkpoint (model_index.json) at " + dir.toAbsolutePath());
        }
        JobMessage job = runner.currentJob();
        b.withData("current_job", job == null ? "none" : job.kind().wireName() + " " + job.jobId());
        return b.build();
    }
}
