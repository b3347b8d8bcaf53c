package io.s2edit.worker;

import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tests' side of the broker: publishes records as the gateway's relay would, collects every
 * {@code s2edit.job-events} record (from the beginning, on a daemon thread started on first use),
 * and reads the worker group's committed offsets.
 */
final class WorkerKafka {

    /** The worker's consumer group (application.properties). */
    static final String GROUP = "s2edit-workers";

    private static final Map<UUID, List<JobEvent>> EVENTS = new ConcurrentHashMap<>();
    private static Thread collector;

    private WorkerKafka() {
    }

    /** Publishes one record and returns where it went. */
    static RecordMetadata send(String bootstrap, String topic, String key, String value) {
        ensureCollector(bootstrap);
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
            return p.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The events of {@code jobId} seen so far, in order. */
    static List<JobEvent> events(UUID jobId) {
        return new ArrayList<>(EVENTS.getOrDefault(jobId, List.of()));
    }

    /** The worker group's committed offset of {@code partition} (the next record to deliver), -1 if none. */
    static long committed(String bootstrap, TopicPartition partition) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(Map.of(GROUP,
                    new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(partition))))
                    .partitionsToOffsetAndMetadata(GROUP).get(10, TimeUnit.SECONDS);
            OffsetAndMetadata o = offsets.get(partition);
            return o == null ? -1 : o.offset();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static synchronized void ensureCollector(String bootstrap) {
        if (collector != null) {
            return;
        }
        Map<String, Object> conf = Map.of("bootstrap.servers", bootstrap, "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(), "enable.auto.commit", "false");
        Thread t = new Thread(() -> {
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(conf)) {
                List<TopicPartition> parts = c.partitionsFor(Topics.JOB_EVENTS, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(Topics.JOB_EVENTS, p.partition())).toList();
                c.assign(parts);
                c.seekToBeginning(parts);
                while (true) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                        JobEvent e = Messages.decode(r.value(), JobEvent.class);
                        assertEquals(e.identityId().toString(), r.key(), "events are keyed by identity id");
                        EVENTS.computeIfAbsent(e.jobId(), k -> new CopyOnWriteArrayList<>()).add(e);
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // the test JVM is ending
            }
        }, "job-events-collector");
        t.setDaemon(true);
        t.start();
        collector = t;
    }
}
