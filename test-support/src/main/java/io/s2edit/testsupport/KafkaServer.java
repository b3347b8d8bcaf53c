package io.s2edit.testsupport;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A real Kafka broker (KRaft, broker and controller in one node) inside this JVM, from
 * smallrye's {@link EmbeddedKafkaBroker} and Kafka's own server jars.
 *
 * <p>It can be {@link #stop() stopped} and {@link #start() started} again on the same ports,
 * log directory and cluster id, so clients see the same cluster come back (the outbox test
 * stops Kafka while a job is submitted). Host 127.0.0.1, PLAINTEXT.
 */
public final class KafkaServer implements AutoCloseable {

    private final Path logDir;
    private final boolean deleteOnClose;
    private final int port;
    private final int controllerPort;
    private final String clusterId;
    private EmbeddedKafkaBroker broker;

    private KafkaServer(Path logDir, boolean deleteOnClose, int port, int controllerPort, String clusterId) {
        this.logDir = logDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.controllerPort = controllerPort;
        this.clusterId = clusterId;
    }

    /** A throw-away broker on free ports; its log directory is deleted on close. */
    public static KafkaServer startTemporary() {
        try {
            KafkaServer s = new KafkaServer(Files.createTempDirectory("s2edit-kafka-"), true, Ports.free(), Ports.free(),
                    UUID.randomUUID().toString());
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A broker whose data live in {@code logDir} and survive restarts; the cluster id is kept in
     * {@code logDir/../kafka-cluster-id} so the formatted storage is reused.
     */
    public static KafkaServer startPersistent(Path logDir, int port, int controllerPort) {
        try {
            Files.createDirectories(logDir);
            Path idFile = logDir.resolveSibling("kafka-cluster-id");
            String clusterId;
            if (Files.exists(idFile)) {
                clusterId = Files.readString(idFile).trim();
            } else {
                clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
                Files.writeString(idFile, clusterId);
            }
            KafkaServer s = new KafkaServer(logDir, false, port, controllerPort, clusterId);
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public synchronized boolean isRunning() {
        return broker != null && broker.isRunning();
    }

    /** Starts the broker (again), on the same ports with the same storage. */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        broker = new EmbeddedKafkaBroker()
                .withKafkaHost("127.0.0.1")
                .withKafkaPort(port)
                .withControllerPort(controllerPort)
                .withClusterId(clusterId)
                .withDeleteLogDirsOnClose(false)
                .withAdditionalProperties(p -> {
                    p.put("log.dirs", logDir.toString());
                    p.put("num.network.threads", "2");
                    p.put("num.io.threads", "2");
                    p.put("background.threads", "2");
                    p.put("num.partitions", "1");
                    p.put("auto.create.topics.enable", "true");
                });
        broker.start();
    }

    /** Shuts the broker down; its data stay for {@link #start()}. */
    public synchronized void stop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    @Override
    public synchronized void close() {
        stop();
        if (deleteOnClose) {
            Files2.deleteRecursively(logDir);
        }
    }
}
