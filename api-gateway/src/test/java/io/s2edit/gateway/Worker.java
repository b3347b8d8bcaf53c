package io.s2edit.gateway;

import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Plays the GPU worker over the real broker: reads job messages from the job topics and
 * publishes job events, exactly as a worker would.
 */
final class Worker {

    private Worker() {
    }

    static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    /** Publishes the events in order, keyed by identity id like a worker. */
    static void send(JobEvent... events) {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap(),
                "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
            for (JobEvent e : events) {
                p.send(new ProducerRecord<>(Topics.JOB_EVENTS, e.key(), Messages.encode(e))).get();
            }
        } catch (Exception ex) {
            throw new AssertionError("could not publish " + java.util.Arrays.toString(events), ex);
        }
    }

    /** Sends raw text to the events topic (for invalid records). */
    static void sendRaw(String key, String value) {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap(),
                "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
            p.send(new ProducerRecord<>(Topics.JOB_EVENTS, key, value)).get();
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** Waits for the message of {@code jobId} on its topic (read from the beginning, no consumer group). */
    @SuppressWarnings("unchecked")
    static <T extends JobMessage> T awaitJob(String topic, UUID jobId, Class<T> type, Duration timeout) {
        List<T> all = jobsOn(topic, jobId, type, timeout, 1);
        if (all.isEmpty()) {
            throw new AssertionError("no message for job " + jobId + " on " + topic + " within " + timeout);
        }
        return all.get(0);
    }

    /** All messages of {@code jobId} on {@code topic} seen within {@code window} (stops early at {@code enough}). */
    static <T extends JobMessage> List<T> jobsOn(String topic, UUID jobId, Class<T> type, Duration window, int enough) {
        return recordsOn(topic, type, m -> m.jobId().equals(jobId), window, enough);
    }

    /** Waits for the cancel of {@code jobId} on {@code s2edit.jobs.cancel}, as every worker reads it. */
    static JobCancel awaitCancel(UUID jobId, Duration timeout) {
        List<JobCancel> all = recordsOn(Topics.CANCEL, JobCancel.class, c -> c.jobId().equals(jobId), timeout, 1);
        if (all.isEmpty()) {
            throw new AssertionError("no cancel for job " + jobId + " on " + Topics.CANCEL + " within " + timeout);
        }
        return all.get(0);
    }

    /** The messages on {@code topic} that {@code wanted} accepts, read from the beginning within {@code window}. */
    private static <T> List<T> recordsOn(String topic, Class<T> type, Predicate<T> wanted, Duration window, int enough) {
        Map<String, Object> conf = Map.of("bootstrap.servers", bootstrap(),
                "key.deserializer", StringDeserializer.class.getName(), "value.deserializer", StringDeserializer.class.getName(),
                "enable.auto.commit", "false");
        List<T> found = new java.util.ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(conf)) {
            long end = System.nanoTime() + window.toNanos();
            List<TopicPartition> parts = List.of();
            while (parts.isEmpty() && System.nanoTime() < end) {
                parts = c.partitionsFor(topic, Duration.ofSeconds(2)).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (System.nanoTime() < end && found.size() < enough) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    T m = Messages.decode(r.value(), type);
                    if (wanted.test(m)) {
                        found.add(m);
                    }
                }
            }
        }
        return found;
    }
}
