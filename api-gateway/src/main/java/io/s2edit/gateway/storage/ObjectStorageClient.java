package io.s2edit.gateway.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.s2edit.common.storage.S3Clients;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.gateway.api.ApiException;
import io.s2edit.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Duration;

/**
 * The object store (MinIO, s3proxy or AWS S3) through the AWS SDK v2, path-style by default.
 * Checksums are only computed where S3 requires them: the SDK's default trailing CRC checksums
 * (aws-chunked uploads) are not understood by every S3-compatible server.
 */
@ApplicationScoped
public class ObjectStorageClient {

    private static final Logger LOG = Logger.getLogger(ObjectStorageClient.class);

    @Inject
    GatewayConfig config;

    private S3Client s3;

    void start(@Observes StartupEvent ev) {
        GatewayConfig.Storage c = config.storage();
        s3 = S3Clients.build(c.endpoint(), c.region(), c.pathStyle(), c.accessKey(), c.secretKey(), Duration.ofSeconds(60));
        if (c.createBucket()) {
            try {
                ensureBucket();
            } catch (SdkException e) {
                // the gateway still starts; uploads answer 503 until storage is reachable
                LOG.warnf("cannot check bucket %s at start-up: %s", c.bucket(), e.getMessage());
            }
        }
    }

    void stop(@Observes ShutdownEvent ev) {
        if (s3 != null) {
            s3.close();
        }
    }

    private void ensureBucket() {
        String bucket = config.storage().bucket();
        try {
            s3.headBucket(r -> r.bucket(bucket));
        } catch (NoSuchBucketException e) {
            s3.createBucket(r -> r.bucket(bucket));
            LOG.infof("created bucket %s", bucket);
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            s3.createBucket(r -> r.bucket(bucket));
            LOG.infof("created bucket %s", bucket);
        }
    }

    public void put(String key, byte[] bytes, String contentType) {
        try {
            s3.putObject(r -> r.bucket(config.storage().bucket()).key(key).contentType(contentType),
                    RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw new ApiException(ProblemType.STORAGE_UNAVAILABLE, "could not store " + key + ": " + e.getMessage());
        }
    }

    /** The object's bytes as a stream; the caller closes it. */
    public ResponseInputStream<GetObjectResponse> get(String key) {
        try {
            return s3.getObject(r -> r.bucket(config.storage().bucket()).key(key));
        } catch (NoSuchKeyException e) {
            throw new ApiException(ProblemType.OUTPUT_NOT_FOUND, "object " + key + " is not in storage (yet)");
        } catch (SdkException e) {
            throw new ApiException(ProblemType.STORAGE_UNAVAILABLE, "could not read " + key + ": " + e.getMessage());
        }
    }
}
