package io.s2edit.common.storage;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * The one way gateway and worker build their S3 client (MinIO, s3proxy or AWS S3): the
 * synchronous client over the JDK's URLConnection, checksums only where S3 requires them (the
 * SDK's default trailing CRC checksums, aws-chunked uploads, are not understood by every
 * S3-compatible server), static credentials when both keys are set, else the AWS default chain
 * (env, profile, IRSA).
 *
 * <p>The AWS SDK is an optional dependency of common: the apps that call this declare it.
 */
public final class S3Clients {

    private S3Clients() {
    }

    /**
     * @param endpoint e.g. {@code http://minio:9000}; empty: AWS' regional endpoint
     * @param pathStyle {@code endpoint/bucket/key} URLs, as MinIO and s3proxy want
     * @param socketTimeout the longest wait for bytes of one transfer
     */
    public static S3Client build(Optional<URI> endpoint, String region, boolean pathStyle, Optional<String> accessKey,
            Optional<String> secretKey, Duration socketTimeout) {
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(region))
                .forcePathStyle(pathStyle)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(socketTimeout)
                        .build());
        endpoint.ifPresent(b::endpointOverride);
        if (accessKey.isPresent() && secretKey.isPresent()) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey.get(), secretKey.get())));
        } else {
            b.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return b.build();
    }
}
