package io.s2edit.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything the worker reads from configuration, under {@code s2edit.}. Each key also works as an
 * environment variable ({@code s2edit.model.dir} = {@code S2EDIT_MODEL_DIR}), which is how the Helm
 * chart sets them. Kafka uses Quarkus' own keys ({@code kafka.bootstrap.servers}); the storage keys
 * are the gateway's.
 */
@ConfigMapping(prefix = "s2edit")
public interface WorkerConfig {

    Storage storage();

    Model model();

    Worker worker();

    Cancel cancel();

    /**
     * At SIGTERM, how long the current job may still run; a job that has not ended by then is
     * abandoned unacknowledged, so Kafka redelivers it to another worker. Keep the pod's
     * terminationGracePeriodSeconds above this (the chart sets it 30 s below).
     */
    @WithDefault("25s")
    Duration shutdownGrace();

    /** Object storage (MinIO or any S3), the same keys as the gateway's. */
    interface Storage {
        /** S3 endpoint, e.g. {@code http://minio:9000}; none: AWS' regional endpoint. */
        Optional<URI> endpoint();

        @WithDefault("us-east-1")
        String region();

        /** Static credentials; none: the AWS default chain (env, profile, IRSA). */
        Optional<String> accessKey();

        Optional<String> secretKey();

        @WithDefault("s2edit")
        String bucket();

        /** Path-style URLs ({@code endpoint/bucket/key}), as MinIO and s3proxy want. */
        @WithDefault("true")
        boolean pathStyle();

        /** Tries per object transfer before the job fails with the storage error (1 s, 2 s, 4 s ... apart). */
        @WithDefault("4")
        int attempts();
    }

    interface Model {
        /** The base Stable Diffusion v1.x checkpoint, a diffusers folder ({@code model_index.json}, {@code unet/}, ...). */
        Path dir();

        /**
         * Fine-tuned models kept in memory, keyed by fine-tune job id (least recently used goes
         * first). 0 keeps none: every invert and edit rebuilds base weights + delta. Each costs one
         * model's memory (about 4 GiB for SD v1.5 in fp32).
         */
        @WithDefault("1")
        int cacheSize();
    }

    /** Cancels announced by the gateway on {@code s2edit.jobs.cancel} ({@link JobCancels}). */
    interface Cancel {
        /**
         * How long a cancel is remembered, and how far back the topic is read at start. Keep it
         * at least as long as a job record can wait in its topic (the job topics' retention;
         * Kafka's default is 7 days).
         */
        @WithDefault("7d")
        Duration retention();

        /** At most this many canceled jobs are remembered (the oldest go first); about 100 bytes each. */
        @WithDefault("100000")
        int maxRemembered();

        /**
         * At start, how long the first job waits for the cancel history to be read before it runs
         * anyway (a cancel read later still stops it at its next step).
         */
        @WithDefault("30s")
        Duration loadWait();
    }

    interface Worker {
        /** Least time between two progress events of a job (a stage's last step is always sent). */
        @WithDefault("250ms")
        Duration progressInterval();

        /** Where jobs download their inputs and the stages write; one folder per job, deleted after. */
        Optional<Path> workDir();
    }
}
