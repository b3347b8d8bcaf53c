package io.s2edit.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** A real KRaft broker for {@code @QuarkusTest}; sets {@code kafka.bootstrap.servers}. */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private KafkaServer server;

    @Override
    public Map<String, String> start() {
        server = KafkaServer.startTemporary();
        return Map.of("kafka.bootstrap.servers", server.bootstrapServers());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(InjectTestServer.class, KafkaServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
