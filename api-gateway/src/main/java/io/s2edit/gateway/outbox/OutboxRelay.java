package io.s2edit.gateway.outbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.s2edit.common.messages.Topics;
import io.s2edit.gateway.config.GatewayConfig;
import io.s2edit.gateway.jobs.JobEntity;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The transactional outbox's relay: a job row and its outbox row commit together, and this
 * publishes unpublished rows to Kafka on its own thread, so a request never waits for Kafka and
 * a job accepted while Kafka is down goes out once Kafka is back.
 *
 * <p>Each round, in one transaction: 1. take the oldest unpublished rows
 * ({@code FOR UPDATE SKIP LOCKED}: replicas never publish the same row at once); 2. skip job
 * messages whose job has ended meanwhile (canceled; a cancel itself, on {@code s2edit.jobs.cancel},
 * is always sent); 3. send the rest in id order and wait for the acks; 4. mark
 * the acknowledged rows published and stop at the first failure, so the records of one identity
 * keep their order. A failure closes the producer (a fresh one reconnects next round). A crash
 * after 3 and before the commit publishes a row twice: delivery is at least once, and workers
 * are idempotent (ARCHITECTURE.md).
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    @Inject
    GatewayConfig config;

    @Inject
    EntityManager em;

    @Inject
    MeterRegistry registry;

    /** {@code kafka.*} configuration (bootstrap servers, security), as Quarkus' Kafka extension reads it. */
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private ScheduledExecutorService thread;
    private KafkaProducer<String, String> producer;
    private boolean topicsReady;
    private volatile long lastFailureLog;
    private volatile long pending;

    void start(@Observes StartupEvent ev) {
        topicsReady = !config.outbox().createTopics();
        Gauge.builder("s2edit.outbox.pending", () -> pending).description("unpublished outbox rows").register(registry);
        thread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outbox-relay"));
        long every = config.outbox().pollInterval().toMillis();
        thread.scheduleWithFixedDelay(this::round, 0, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (thread != null) {
            thread.shutdownNow();
            try {
                thread.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeProducer();
    }

    private void round() {
        try {
            if (!topicsReady) {
                createTopics();
                topicsReady = true;
            }
            int sent;
            do {
                sent = publishBatch();
            } while (sent == config.outbox().batchSize());
        } catch (Exception e) {
            closeProducer();
            logFailure(e.toString());
        }
    }

    /** At most one warning per 30 s while Kafka is away. */
    private void logFailure(String why) {
        long now = System.currentTimeMillis();
        if (now - lastFailureLog > 30_000) {
            lastFailureLog = now;
            LOG.warnf("outbox relay cannot publish yet (will keep trying; %d rows waiting): %s", pending, why);
        }
    }

    @SuppressWarnings("unchecked")
    private int publishBatch() {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<OutboxEntity> rows = em.createNativeQuery("select * from outbox where published_at is null "
                            + "order by id limit :n for update skip locked", OutboxEntity.class)
                    .setParameter("n", config.outbox().batchSize())
                    .getResultList();
            pending = ((Number) em.createNativeQuery("select count(*) from outbox where published_at is null")
                    .getSingleResult()).longValue();
            if (rows.isEmpty()) {
                return 0;
            }
            KafkaProducer<String, String> p = producer();
            Instant now = Instant.now();
            List<OutboxEntity> sending = new ArrayList<>();
            for (OutboxEntity row : rows) {
                JobEntity job = JobEntity.findById(row.jobId);
                if (job != null && job.status.terminal() && !Topics.CANCEL.equals(row.topic)) {
                    row.publishedAt = now;
                    row.lastError = "not published: job " + job.status.wireName() + " before publication";
                } else {
                    sending.add(row);
                }
            }
            // The first record goes alone: while Kafka is away each send waits max.block.ms, and
            // one wait per round is enough to learn it. The rest are pipelined.
            int done = 0;
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < sending.size(); i++) {
                OutboxEntity row = sending.get(i);
                acks.add(p.send(new ProducerRecord<>(row.topic, row.messageKey, row.payload)));
                if (i == 0 && !acked(row, acks.get(0))) {
                    return rows.size() - sending.size();
                }
            }
            for (int i = 0; i < sending.size(); i++) {
                OutboxEntity row = sending.get(i);
                if (i > 0 && !acked(row, acks.get(i))) {
                    break;
                }
                done++;
            }
            pending -= done;
            return rows.size();
        });
    }

    /** Waits for one record's ack and marks its row; false (and a fresh producer next round) on failure. */
    private boolean acked(OutboxEntity row, Future<RecordMetadata> ack) {
        row.attempts++;
        try {
            ack.get(config.outbox().sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
            row.publishedAt = Instant.now();
            row.lastError = null;
            registry.counter("s2edit.outbox.published", "topic", row.topic).increment();
            return true;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            row.lastError = e.getCause() == null ? e.toString() : e.getCause().toString();
            logFailure(row.lastError);
            closeProducer();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("outbox relay interrupted", e);
        }
    }

    private void createTopics() throws Exception {
        Map<String, Object> conf = new HashMap<>(kafkaConfig);
        conf.put("request.timeout.ms", (int) config.outbox().sendTimeout().toMillis());
        conf.put("default.api.timeout.ms", (int) config.outbox().sendTimeout().toMillis());
        try (Admin admin = Admin.create(conf)) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : List.of(Topics.FINETUNE, Topics.INVERT, Topics.EDIT, Topics.CANCEL, Topics.JOB_EVENTS)) {
                topics.add(new NewTopic(t, config.outbox().topicPartitions(), config.outbox().topicReplicationFactor()));
            }
            var result = admin.createTopics(topics);
            for (var f : result.values().values()) {
                try {
                    f.get(config.outbox().sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        LOG.infof("kafka topics ready (%d partitions where created here)", config.outbox().topicPartitions());
    }

    private KafkaProducer<String, String> producer() {
        if (producer == null) {
            Map<String, Object> conf = new HashMap<>(kafkaConfig);
            int timeout = (int) config.outbox().sendTimeout().toMillis();
            conf.put(ProducerConfig.ACKS_CONFIG, "all");
            conf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            conf.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
            conf.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1000, timeout - 500));
            conf.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
            conf.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            conf.put(ProducerConfig.CLIENT_ID_CONFIG, "s2edit-gateway-outbox");
            conf.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            conf.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer = new KafkaProducer<>(conf);
        }
        return producer;
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(1));
            } catch (Exception ignored) {
                // closing a producer whose broker is gone may complain; a new one starts next round
            }
            producer = null;
        }
    }
}
