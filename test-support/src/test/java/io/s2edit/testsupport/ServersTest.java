package io.s2edit.testsupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each server really serves its protocol; Kafka keeps its data across a restart. */
class ServersTest {

    @Test
    void postgresAnswersSqlAndSurvivesRestart() throws Exception {
        try (PostgresServer pg = PostgresServer.startTemporary("s2edit")) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("s2edit"), PostgresServer.SUPERUSER, "");
                 Statement s = c.createStatement()) {
                s.execute("create table t (x int)");
                s.execute("insert into t values (41), (1)");
            }
            pg.stop();
            pg.start();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("s2edit"), PostgresServer.SUPERUSER, "");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select sum(x), current_user from t")) {
                assertTrue(rs.next());
                assertEquals(42, rs.getInt(1));
                assertEquals("postgres", rs.getString(2));
            }
        }
    }

    @Test
    void kafkaKeepsRecordsAcrossRestart() {
        try (KafkaServer kafka = KafkaServer.startTemporary()) {
            Map<String, Object> p = Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                producer.send(new ProducerRecord<>("t", "k", "before")).get();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            kafka.stop();
            kafka.start();
            Map<String, Object> c = Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.id", "g",
                    "auto.offset.reset", "earliest",
                    "key.deserializer", StringDeserializer.class.getName(), "value.deserializer", StringDeserializer.class.getName());
            List<String> seen = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
                consumer.subscribe(List.of("t"));
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (seen.isEmpty() && System.nanoTime() < end) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        seen.add(r.value());
                    }
                }
            }
            assertEquals(List.of("before"), seen);
        }
    }

    @Test
    void s3proxySpeaksS3() throws Exception {
        try (S3Server s3 = S3Server.startTemporary()) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(s3.endpoint() + "/")).GET().build(), HttpResponse.BodyHandlers.ofString());
            // anonymous requests are refused with an S3 XML error document
            assertEquals(403, r.statusCode(), r.body());
            assertTrue(r.body().contains("<Code>AccessDenied</Code>"), r.body());
        }
    }
}
