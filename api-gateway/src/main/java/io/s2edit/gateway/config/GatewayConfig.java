package io.s2edit.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the gateway reads from configuration, under {@code s2edit.}. Each key also works as
 * an environment variable ({@code s2edit.storage.endpoint} = {@code S2EDIT_STORAGE_ENDPOINT}),
 * which is how the Helm chart sets them. Postgres and Kafka use Quarkus' own keys
 * ({@code quarkus.datasource.*}, {@code kafka.bootstrap.servers}).
 */
@ConfigMapping(prefix = "s2edit")
public interface GatewayConfig {

    Storage storage();

    Uploads uploads();

    Outbox outbox();

    Webhooks webhooks();

    Streams streams();

    Tokenizer tokenizer();

    /** Absolute base for links in job resources and webhooks, e.g. {@code https://api.example.com}; none: links are paths. */
    Optional<URI> publicUrl();

    /** Object storage (MinIO or any S3), shared keys with the worker. */
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

        /** Create the bucket at start-up when it is missing. */
        @WithDefault("true")
        boolean createBucket();
    }

    interface Uploads {
        /** Largest accepted image file; larger gets 413 image-too-large. Keep quarkus.http.limits.max-body-size above twice this. */
        @WithDefault("20971520")
        long maxImageBytes();

        /** Largest accepted width x height, checked before decoding (decompression bombs). */
        @WithDefault("16777216")
        long maxImagePixels();
    }

    interface Outbox {
        /** How often the relay looks for unpublished rows. */
        @WithDefault("500ms")
        Duration pollInterval();

        @WithDefault("100")
        int batchSize();

        /** How long one publish may wait for Kafka before the relay retries later. */
        @WithDefault("5s")
        Duration sendTimeout();

        /** Create the job and event topics (if missing) before the first publish. */
        @WithDefault("true")
        boolean createTopics();

        /** Partitions of created topics: at least the largest worker pool (readiness needs a partition). */
        @WithDefault("6")
        int topicPartitions();

        @WithDefault("1")
        short topicReplicationFactor();
    }

    interface Webhooks {
        /** Standard Webhooks signing secret, {@code whsec_<base64>}; none: requests with a webhook are refused. */
        Optional<String> signingSecret();

        /**
         * CIDR blocks exempt from the SSRF rules (loopback, private, link-local, CGNAT, ULA are
         * refused otherwise), e.g. {@code 10.1.0.0/16} for an in-cluster receiver.
         */
        Optional<List<String>> allowedNetworks();

        @WithDefault("500ms")
        Duration pollInterval();

        /** First retry delay; doubled per failure up to maxBackoff. A Retry-After header wins (up to maxBackoff). */
        @WithDefault("5s")
        Duration initialBackoff();

        @WithDefault("1h")
        Duration maxBackoff();

        /** A delivery still failing this long after it was created is given up (status expired). */
        @WithDefault("72h")
        Duration giveUpAfter();

        @WithDefault("5s")
        Duration connectTimeout();

        @WithDefault("10s")
        Duration readTimeout();

        /** A claimed delivery is retried by anyone after this long (crash while sending). */
        @WithDefault("2m")
        Duration claimLease();
    }

    interface Streams {
        /** SSE: how often a stream re-reads its job row (events handled by another replica arrive this way). */
        @WithDefault("1s")
        Duration pollInterval();
    }

    /** CLIP's tokenizer, for the exact token count of prompts (the worker's own code and files). */
    interface Tokenizer {
        /**
         * A diffusers checkpoint's {@code tokenizer/} folder ({@code vocab.json},
         * {@code merges.txt}, {@code tokenizer_config.json}); every SD v1.x checkpoint has the same
         * one (CLIP ViT-L/14). None: prompts are checked against a lower bound of their tokens
         * only, so a prompt over 77 tokens can be accepted and fail in the worker.
         */
        Optional<Path> dir();
    }
}
