package io.s2edit.worker.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.s2edit.common.storage.S3Clients;
import io.s2edit.worker.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * The object store (MinIO, s3proxy or AWS S3) through the AWS SDK v2, configured with the
 * gateway's keys ({@code s2edit.storage.*}). Transfers go file to file; a transient failure is
 * retried {@code s2edit.storage.attempts} times, a missing object is reported at once.
 */
@ApplicationScoped
public class ObjectStorageClient {

    private static final Logger LOG = Logger.getLogger(ObjectStorageClient.class);

    /** The object does not exist: for the worker, a parent job's artifact that is missing. */
    public static final class MissingObjectException extends IOException {
        private final String key;

        public MissingObjectException(String key) {
            super("object " + key + " does not exist");
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    @Inject
    WorkerConfig config;

    private S3Client s3;

    void start(@Observes StartupEvent ev) {
        WorkerConfig.Storage c = config.storage();
        s3 = S3Clients.build(c.endpoint(), c.region(), c.pathStyle(), c.accessKey(), c.secretKey(), Duration.ofSeconds(120));
    }

    void stop(@Observes ShutdownEvent ev) {
        if (s3 != null) {
            s3.close();
        }
    }

    /** Downloads {@code key} to {@code target} (replaced). */
    public void download(String key, Path target) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        retrying("download " + key, () -> {
            part.toFile().delete();
            s3.getObject(r -> r.bucket(config.storage().bucket()).key(key), ResponseTransformer.toFile(part));
            return null;
        }, key);
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Uploads {@code file} to {@code key}, replacing what is there (a re-run overwrites its own outputs). */
    public void upload(Path file, String key, String contentType) throws IOException {
        retrying("upload " + key, () -> {
            s3.putObject(r -> r.bucket(config.storage().bucket()).key(key).contentType(contentType), RequestBody.fromFile(file));
            return null;
        }, key);
    }

    /** The keys directly or indirectly under {@code prefix}. */
    public java.util.List<String> list(String prefix) throws IOException {
        return retrying("list " + prefix, () -> s3.listObjectsV2Paginator(r -> r.bucket(config.storage().bucket()).prefix(prefix))
                .contents().stream().map(software.amazon.awssdk.services.s3.model.S3Object::key).toList(), prefix);
    }

    /** Whether {@code key} exists. */
    public boolean exists(String key) throws IOException {
        try {
            return retrying("look up " + key, () -> {
                s3.headObject(r -> r.bucket(config.storage().bucket()).key(key));
                return true;
            }, key);
        } catch (MissingObjectException e) {
            return false;
        }
    }

    private interface Call<T> {
        T run();
    }

    private <T> T retrying(String what, Call<T> call, String key) throws IOException {
        int attempts = Math.max(1, config.storage().attempts());
        long backoffMs = 1000;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (NoSuchKeyException e) {
                throw new MissingObjectException(key);
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    throw new MissingObjectException(key);
                }
                if (e.statusCode() < 500 || attempt >= attempts) {
                    throw new IOException("storage: could not " + what + " in bucket " + config.storage().bucket()
                            + ": " + e.getMessage(), e);
                }
                LOG.warnf("storage: %s failed (attempt %d of %d): %s", what, attempt, attempts, e.getMessage());
            } catch (SdkException e) {
                if (attempt >= attempts) {
                    throw new IOException("storage: could not " + what + " in bucket " + config.storage().bucket()
                            + " after " + attempts + " tries: " + e.getMessage(), e);
                }
                LOG.warnf("storage: %s failed (attempt %d of %d): %s", what, attempt, attempts, e.getMessage());
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while retrying to " + what, ie);
            }
            backoffMs *= 2;
        }
    }
}
