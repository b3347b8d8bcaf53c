package io.s2edit.worker;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.s2edit.common.messages.Topics;
import io.s2edit.testsupport.KafkaServer;
import io.s2edit.testsupport.S3Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real servers of the worker's tests: a KRaft broker with the job and event topics created
 * as the gateway's relay would (2 partitions each), and s3proxy with the bucket. Both exist before
 * the application starts, as in a deployment.
 */
public class WorkerTestServers implements QuarkusTestResourceLifecycleManager {

    public static final String BUCKET = "s2edit-worker-test";

    private KafkaServer kafka;
    private S3Server s3;

    @Override
    public Map<String, String> start() {
        kafka = KafkaServer.startTemporary();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(Topics.FINETUNE, Topics.INVERT, Topics.EDIT, Topics.JOB_EVENTS).stream()
                    .map(t -> new NewTopic(t, 2, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create the topics", e);
        }
        s3 = S3Server.startTemporary();
        try (S3Client client = client(s3.endpoint())) {
            client.createBucket(r -> r.bucket(BUCKET));
        }
        return Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "s2edit.storage.endpoint", s3.endpoint(),
                "s2edit.storage.access-key", S3Server.ACCESS_KEY,
                "s2edit.storage.secret-key", S3Server.SECRET_KEY,
                "s2edit.storage.region", S3Server.REGION,
                "s2edit.storage.bucket", BUCKET,
                "s2edit.storage.path-style", "true");
    }

    /** An S3 client for the tests themselves. */
    public static S3Client client(String endpoint) {
        return S3Client.builder().region(Region.of(S3Server.REGION)).forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }
}
