package io.s2edit.testsupport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test field of type {@link KafkaServer}, {@link PostgresServer} or {@link S3Server};
 * the matching *TestResource sets it, so a test can, for example, stop and restart Kafka.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectTestServer {
}
