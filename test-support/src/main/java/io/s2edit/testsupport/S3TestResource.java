package io.s2edit.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * A real S3 server (s3proxy, separate process) for {@code @QuarkusTest}. Sets the storage keys
 * shared by the gateway and the worker: {@code s2edit.storage.endpoint}, {@code .access-key},
 * {@code .secret-key}, {@code .region}, {@code .bucket} ({@value #BUCKET}), {@code .path-style}.
 */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {

    public static final String BUCKET = "s2edit-test";

    private S3Server server;

    @Override
    public Map<String, String> start() {
        server = S3Server.startTemporary();
        return Map.of(
                "s2edit.storage.endpoint", server.endpoint(),
                "s2edit.storage.access-key", S3Server.ACCESS_KEY,
                "s2edit.storage.secret-key", S3Server.SECRET_KEY,
                "s2edit.storage.region", S3Server.REGION,
                "s2edit.storage.bucket", BUCKET,
                "s2edit.storage.path-style", "true");
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(InjectTestServer.class, S3Server.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
