package io.s2edit.worker;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import io.s2edit.testsupport.KafkaServer;
import io.s2edit.testsupport.S3Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real servers of the worker's tests: a KRaft broker with the job, cancel and event topics
 * created as the gateway's relay would (2 partitions each), and s3proxy with the bucket. Both exist
 * before the application starts, as in a deployment. One cancel is published before the worker
 * starts ({@link #CANCELED_BEFORE_START}): a worker must learn of it from the topic's history.
 */
public class WorkerTestServers implements QuarkusTestResourceLifecycleManager {

    public static final String BUCKET = "s2edit-worker-test";
    /** A fine-tune job whose cancel is on the topic before the worker starts (its record is sent by a test). */
    public static final FineTuneJob CANCELED_BEFORE_START = FineTuneJob.create(UUID.randomUUID(), UUID.randomUUID(),
            "a photo of a [I] lady", "lady", false, null, FineTuneOptions.defaults().withSeed(5));

    private KafkaServer kafka;
    private S3Server s3;

    @Override
    public Map<String, String> start() {
        kafka = KafkaServer.startTemporary();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(Topics.FINETUNE, Topics.INVERT, Topics.EDIT, Topics.CANCEL, Topics.JOB_EVENTS).stream()
                    .map(t -> new NewTopic(t, 2, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create the topics", e);
        }
        JobCancel cancel = JobCancel.of(CANCELED_BEFORE_START.jobId(), CANCELED_BEFORE_START.identityId(), JobKind.FINETUNE,
                Instant.now(), "canceled by request");
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
            p.send(new ProducerRecord<>(cancel.topic(), cancel.key(), Messages.encode(cancel))).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish the cancel", e);
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
