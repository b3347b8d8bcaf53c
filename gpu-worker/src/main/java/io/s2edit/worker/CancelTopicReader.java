package io.s2edit.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads {@code s2edit.jobs.cancel} into {@link JobCancels} on a thread of its own, so that every
 * worker sees every cancel: a plain consumer with no group that assigns itself all partitions,
 * starts each at the first record of the last {@code s2edit.cancel.retention} and follows the
 * topic from there (see {@link JobCancels} for why). Nothing is committed. Partitions added to
 * the topic later are picked up within a minute. If the broker goes away or the topic does not
 * exist yet, it retries every few seconds, reading the history again (adding a cancel twice is
 * harmless).
 */
@ApplicationScoped
public class CancelTopicReader {

    private static final Logger LOG = Logger.getLogger(CancelTopicReader.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final long PARTITION_REFRESH_NANOS = Duration.ofMinutes(1).toNanos();

    @Inject
    JobCancels cancels;

    @Inject
    MeterRegistry registry;

    /** {@code kafka.*} configuration (bootstrap servers, security), as Quarkus' Kafka extension reads it. */
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private volatile boolean stopping;
    private volatile KafkaConsumer<String, String> consumer;
    private Thread thread;
    private long lastProblemLog;

    void start(@Observes StartupEvent ev) {
        registry.gauge("s2edit.worker.cancels.remembered", cancels, JobCancels::size);
        thread = new Thread(this::loop, "s2edit-cancels");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent ev) {
        stopping = true;
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (!stopping) {
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConfig())) {
                consumer = c;
                follow(c);
            } catch (WakeupException | InterruptException e) {
                if (stopping) {
                    return;
                }
                problem(e.toString());
            } catch (RuntimeException e) {
                problem(e.toString());
            } finally {
                consumer = null;
            }
            sleep(RETRY);
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> conf = new HashMap<>(kafkaConfig);
        conf.remove(ConsumerConfig.GROUP_ID_CONFIG);
        conf.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        conf.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        conf.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        conf.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        conf.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // the gateway's relay creates it
        conf.put(ConsumerConfig.CLIENT_ID_CONFIG, "s2edit-worker-cancels-" + UUID.randomUUID());
        return conf;
    }

    /**
     * 1. wait for the topic's partitions; 2. seek each to the start of the retention window;
     * 3. note the end offsets: once every position reaches them the history is loaded; 4. follow.
     */
    private void follow(KafkaConsumer<String, String> c) {
        List<TopicPartition> parts = partitions(c);
        while (parts.isEmpty()) {
            problem("topic " + Topics.CANCEL + " does not exist yet (the gateway's relay creates it)");
            sleep(RETRY);
            if (stopping) {
                return;
            }
            parts = partitions(c);
        }
        c.assign(parts);
        seekToRetention(c, parts);
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        long refreshed = System.nanoTime();
        LOG.infof("reading %s (%d partitions) from %s back", Topics.CANCEL, parts.size(), cancels.retention());
        while (!stopping) {
            for (ConsumerRecord<String, String> r : c.poll(POLL)) {
                accept(r);
            }
            if (!cancels.loaded() && caughtUp(c, end)) {
                cancels.markLoaded();
                LOG.infof("cancel history loaded: %d canceled jobs remembered", cancels.size());
            }
            if (System.nanoTime() - refreshed > PARTITION_REFRESH_NANOS) {
                refreshed = System.nanoTime();
                List<TopicPartition> now = partitions(c);
                if (!now.isEmpty() && !Set.copyOf(now).equals(c.assignment())) {
                    List<TopicPartition> added = new ArrayList<>(now);
                    added.removeAll(c.assignment());
                    c.assign(now);
                    c.seekToBeginning(added); // new partitions hold only new cancels
                    LOG.infof("%s now has %d partitions", Topics.CANCEL, now.size());
                }
            }
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, String> c) {
        return c.partitionsFor(Topics.CANCEL, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    private void seekToRetention(KafkaConsumer<String, String> c, List<TopicPartition> parts) {
        long since = System.currentTimeMillis() - cancels.retention().toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(p -> query.put(p, since));
        Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(query);
        List<TopicPartition> nothingRecent = new ArrayList<>();
        for (TopicPartition p : parts) {
            OffsetAndTimestamp o = found.get(p);
            if (o == null) {
                nothingRecent.add(p);
            } else {
                c.seek(p, o.offset());
            }
        }
        c.seekToEnd(nothingRecent);
    }

    private static boolean caughtUp(KafkaConsumer<String, String> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void accept(ConsumerRecord<String, String> r) {
        JobCancel cancel;
        try {
            cancel = Messages.decode(r.value(), JobCancel.class);
        } catch (IllegalArgumentException e) {
            registry.counter("s2edit.worker.cancels.received", "result", "invalid").increment();
            LOG.warnf("skipping a record on %s that is not a valid cancel (%s-%d@%d): %s", Topics.CANCEL, r.topic(),
                    r.partition(), r.offset(), e.getMessage());
            return;
        }
        registry.counter("s2edit.worker.cancels.received", "result", "valid").increment();
        LOG.debugf("%s job %s canceled at %s", cancel.kind().wireName(), cancel.jobId(), cancel.canceledAt());
        cancels.add(cancel);
    }

    /** At most one warning per minute while the topic cannot be read. */
    private void problem(String why) {
        long now = System.currentTimeMillis();
        if (now - lastProblemLog > 60_000) {
            lastProblemLog = now;
            LOG.warnf("cannot read %s yet (will keep trying; a job canceled meanwhile may still start, and stops"
                    + " at its next step once the cancel is read): %s", Topics.CANCEL, why);
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
