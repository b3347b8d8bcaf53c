package io.s2edit.gateway;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.s2edit.testsupport.KafkaTestResource;
import io.s2edit.testsupport.PostgresTestResource;
import io.s2edit.testsupport.S3TestResource;

/**
 * The real servers every test of this module runs against, started once (in parallel) for the
 * whole suite: PostgreSQL, a KRaft Kafka broker and s3proxy (see s2edit-test-support).
 */
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = S3TestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
public final class TestServers {
    private TestServers() {
    }
}
